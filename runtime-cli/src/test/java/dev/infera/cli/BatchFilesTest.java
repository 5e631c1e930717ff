package dev.infera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchFilesTest {

    @TempDir
    Path dir;

    @Test
    void parsesAllFieldsOfAGoodLine() {
        BatchLine line = BatchLine.parse(3, "{\"id\": \"a\", \"prompt\": \"Hi\", \"max_tokens\": 7, \"temperature\": 0.5, "
                + "\"top_p\": 0.9, \"top_k\": 40, \"seed\": 42, \"stop\": [\"x\", \"yz\"]}");
        assertThat(line.error()).isNull();
        assertThat(line.idKey()).isEqualTo("\"a\"");
        var s = line.request().sampling();
        assertThat(line.request().prompt()).isEqualTo("Hi");
        assertThat(s.maxTokens()).isEqualTo(7);
        assertThat(s.temperature()).isEqualTo(0.5f);
        assertThat(s.topP()).isEqualTo(0.9f);
        assertThat(s.topK()).isEqualTo(40);
        assertThat(s.seed().getAsLong()).isEqualTo(42);
        assertThat(s.stopStrings()).containsExactly("x", "yz");
        assertThat(BatchLine.parse(1, "{\"id\": 12, \"prompt\": \"p\", \"stop\": \"s\"}").request().sampling().stopStrings())
                .containsExactly("s");
    }

    @Test
    void badLinesNameTheLineAndTheProblem() {
        assertThat(BatchLine.parse(4, "{not json").error()).startsWith("line 4: ");
        assertThat(BatchLine.parse(5, "{\"prompt\": \"x\"}").error()).isEqualTo("line 5: missing \"id\"");
        BatchLine noPrompt = BatchLine.parse(6, "{\"id\": \"q\"}");
        assertThat(noPrompt.error()).isEqualTo("line 6: missing \"prompt\"");
        assertThat(noPrompt.id()).isEqualTo("q");
        assertThat(BatchLine.parse(7, "{\"id\": 1, \"prompt\": \"x\", \"max_tokens\": 0}").error())
                .contains("maxTokens must be > 0");
        assertThat(BatchLine.parse(8, "{\"id\": 1, \"prompt\": \"x\", \"temprature\": 0}").error())
                .contains("unknown field \"temprature\"");
        assertThat(BatchLine.parse(9, "{\"id\": 1.5, \"prompt\": \"x\"}").error())
                .contains("\"id\" must be a string or an integer");
        assertThat(BatchLine.parse(10, "[1]").error()).contains("must be a JSON object");
    }

    @Test
    void resumingCollectsIdsAndCutsATornLastLine() throws Exception {
        Path out = dir.resolve("out.jsonl");
        Files.writeString(out, "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":7,\"text\":\"y\"}\n{\"id\":\"c\",\"te", StandardCharsets.UTF_8);
        try (BatchOutput o = BatchOutput.open(out)) {
            assertThat(o.doneIds()).containsExactlyInAnyOrder("\"a\"", "7");
            assertThat(o.discardedBytes()).isEqualTo("{\"id\":\"c\",\"te".length());
            o.write(Map.of("id", "c"));
        }
        assertThat(Files.readString(out)).isEqualTo("{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":7,\"text\":\"y\"}\n{\"id\":\"c\"}\n");
    }

    @Test
    void aCompleteButUnparseableLastLineIsAlsoDiscarded() throws Exception {
        Path out = dir.resolve("out.jsonl");
        Files.writeString(out, "{\"id\":\"a\"}\n{\"id\":\"b\",\"text\":\"unterminated}\n", StandardCharsets.UTF_8);
        try (BatchOutput o = BatchOutput.open(out)) {
            assertThat(o.doneIds()).containsExactly("\"a\"");
            assertThat(o.discardedBytes()).isPositive();
        }
        assertThat(Files.readString(out)).isEqualTo("{\"id\":\"a\"}\n");
    }

    @Test
    void anUnparseableMiddleLineIsKept() throws Exception {
        Path out = dir.resolve("out.jsonl");
        String text = "{\"id\":\"a\"}\ngarbage\n{\"id\":\"b\"}\n";
        Files.writeString(out, text, StandardCharsets.UTF_8);
        try (BatchOutput o = BatchOutput.open(out)) {
            assertThat(o.doneIds()).containsExactlyInAnyOrder("\"a\"", "\"b\"");
            assertThat(o.discardedBytes()).isZero();
        }
        assertThat(Files.readString(out)).isEqualTo(text);
    }

    @Test
    void newOutputFileStartsEmpty() throws Exception {
        try (BatchOutput o = BatchOutput.open(dir.resolve("new.jsonl"))) {
            assertThat(o.doneIds()).isEmpty();
            assertThat(o.discardedBytes()).isZero();
        }
        assertThat(dir.resolve("new.jsonl")).exists();
    }
}
