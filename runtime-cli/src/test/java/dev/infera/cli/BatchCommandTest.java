package dev.infera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.json.Json;
import dev.infera.core.testing.SharedModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchCommandTest {

    @TempDir
    Path dir;

    private static Map<Object, Map<String, Object>> byId(Path out) throws Exception {
        return Files.readAllLines(out).stream().map(Json::parseObject)
                .filter(m -> m.containsKey("id"))
                .collect(Collectors.toMap(m -> m.get("id"), m -> m));
    }

    private InspectCommandTest.Result batch(Path in, Path out) {
        return InspectCommandTest.run("batch", "--model", SharedModels.file("stories260K.gguf").toString(),
                "--input", in.toString(), "--output", out.toString(), "--max-running", "4", "--threads", "1");
    }

    @Test
    void printsTheKvCacheSizeAndHonoursTheProgressFlags() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.write(in, List.of("{\"id\": 1, \"prompt\": \"Once\", \"max_tokens\": 3, \"temperature\": 0}"),
                StandardCharsets.UTF_8);
        String model = SharedModels.file("stories260K.gguf").toString();
        InspectCommandTest.Result forced = InspectCommandTest.run("batch", "--model", model, "--input", in.toString(),
                "--output", dir.resolve("a.jsonl").toString(), "--threads", "1", "--max-running", "2", "--progress");
        assertThat(forced.exitCode()).as(forced.err()).isZero();
        assertThat(forced.err()).containsPattern("infera batch: KV cache: \\d+ blocks x 16 tokens = \\d+ tokens, [0-9.]+ MiB")
                .contains("1/1 done");
        InspectCommandTest.Result quiet = InspectCommandTest.run("batch", "--model", model, "--input", in.toString(),
                "--output", dir.resolve("b.jsonl").toString(), "--threads", "1", "--no-progress");
        assertThat(quiet.exitCode()).as(quiet.err()).isZero();
        assertThat(quiet.err()).contains("KV cache:").doesNotContain("1/1 done");
    }

    @Test
    void terminalDevicesAreRecognisedByTheirPaths() {
        assertThat(Terminal.isTerminalDevice("/dev/pts/3")).isTrue();
        assertThat(Terminal.isTerminalDevice("/dev/tty1")).isTrue();
        assertThat(Terminal.isTerminalDevice("/tmp/err.log")).isFalse();
        assertThat(Terminal.isTerminalDevice("pipe:[12345]")).isFalse();
        assertThat(Terminal.isStderrTerminal(System.out)).isFalse();
    }

    @Test
    void runsEveryLineWritesErrorsAndResumes() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.write(in, List.of(
                "{\"id\": \"a\", \"prompt\": \"Once upon a time\", \"max_tokens\": 12, \"temperature\": 0}",
                "",
                "{\"id\": 2, \"prompt\": \"Lily and Ben\", \"max_tokens\": 8, \"temperature\": 0, \"stop\": [\"zzz\"]}",
                "{\"id\": \"bad\", \"prompt\": 5}",
                "{this is not json",
                "{\"id\": \"a\", \"prompt\": \"dup\"}",
                "{\"id\": \"c\", \"prompt\": \"The little dog\", \"max_tokens\": 5, \"seed\": 7, \"top_p\": 0.9}"),
                StandardCharsets.UTF_8);
        Path out = dir.resolve("out.jsonl");
        InspectCommandTest.Result r = batch(in, out);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("6 requests, 3 completed, 3 errors, 0 skipped");
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(6);
        Map<Object, Map<String, Object>> results = byId(out);
        assertThat(results.get("a")).containsEntry("finish_reason", "max_tokens").containsEntry("completion_tokens", 12L)
                .containsKeys("text", "prompt_tokens", "cached_prompt_tokens", "timings");
        assertThat((String) results.get("a").get("text")).isNotBlank();
        assertThat(results.get(2L)).containsEntry("completion_tokens", 8L);
        assertThat(results.get("c")).containsEntry("completion_tokens", 5L);
        assertThat(results.get("bad")).containsEntry("finish_reason", "error").containsEntry("line", 4L);
        assertThat((String) results.get("bad").get("error")).contains("\"prompt\" must be a string");
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"line\":5").contains("\"error\""));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("duplicate id \\\"a\\\" (first on line 1)"));

        // A killed run: keep two results and half of a third line, then run again.
        String keptA = lines.stream().filter(l -> l.contains("\"id\":\"a\"")).findFirst().orElseThrow();
        String keptBad = lines.stream().filter(l -> l.contains("\"id\":\"bad\"")).findFirst().orElseThrow();
        String keptLine5 = lines.stream().filter(l -> l.contains("\"line\":5")).findFirst().orElseThrow();
        String torn = lines.stream().filter(l -> l.contains("\"id\":\"c\"")).findFirst().orElseThrow();
        Files.writeString(out, keptA + "\n" + keptBad + "\n" + keptLine5 + "\n" + torn.substring(0, torn.length() / 2),
                StandardCharsets.UTF_8);
        InspectCommandTest.Result again = batch(in, out);
        assertThat(again.exitCode()).as(again.err()).isZero();
        // Skipped: a, bad, line 5 (an error recorded by line number) and line 6 (a duplicate of a).
        assertThat(again.err()).contains("discarded a torn last line")
                .contains("2 requests, 2 completed, 0 errors, 4 skipped");
        Map<Object, Map<String, Object>> resumed = byId(out);
        assertThat(resumed.keySet()).containsExactlyInAnyOrder("a", 2L, "bad", "c");
        assertThat(resumed.get("a").get("text")).isEqualTo(results.get("a").get("text"));
        assertThat(resumed.get(2L).get("text")).isEqualTo(results.get(2L).get("text"));
        assertThat(Files.readAllLines(out).stream().filter(l -> l.contains("\"id\":\"a\"")).count()).isEqualTo(1);
        assertThat(Files.readAllLines(out).stream().filter(l -> l.contains("\"line\":5")).count()).isEqualTo(1);
    }
}
