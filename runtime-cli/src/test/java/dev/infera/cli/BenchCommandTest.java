package dev.infera.cli;

import static dev.infera.cli.InspectCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.cli.InspectCommandTest.Result;
import dev.infera.core.json.Json;
import dev.infera.core.testing.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {

    private static String model() {
        return SharedModels.file("stories260K.gguf").toString();
    }

    @Test
    void runsAWorkloadEndToEndAndWritesJsonAndHtml(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("b.json");
        Path html = dir.resolve("b.html");
        Result r = run("bench", "--model", model(), "--num-prompts", "4", "--input-len", "16", "--output-len", "8",
                "--ignore-eos", "--warmup", "1", "--bandwidth-gbs", "10", "--cache-dir", dir.toString(),
                "--slo", "ttft=60000,tpot=60000", "--json", json.toString(), "--html", html.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Infera Benchmark Result").contains("stories260K.gguf")
                .containsPattern("Successful requests: +4\\n").containsPattern("Total input tokens: +64\\n")
                .containsPattern("Total generated tokens: +32\\n").containsPattern("Goodput \\(req/s\\).*\\(4 of 4")
                .contains("Median TTFT (ms):").contains("P99 ITL (ms):").contains("Decode roofline fraction:");
        Map<String, Object> root = Json.asObject(Json.parse(json), "root");
        Map<String, Object> config = Json.asObject(root.get("config"), "config");
        assertThat(Json.asObject(config.get("workload"), "workload")).containsEntry("num_prompts", 4L)
                .containsEntry("input_len", 16L);
        Map<String, Object> run = Json.asObject(Json.asArray(root.get("runs"), "runs").getFirst(), "run");
        assertThat(run).containsEntry("completed", 4L).containsEntry("failed", 0L)
                .containsEntry("total_output_tokens", 32L).containsEntry("bandwidth_gbs", 10.0);
        assertThat((Long) run.get("steps")).isGreaterThanOrEqualTo(8);
        assertThat((Double) run.get("output_throughput")).isPositive();
        // All four requests run at once: after their prompts, 7 steps decode all of them together.
        assertThat((Long) run.get("decode_steps")).isGreaterThanOrEqualTo(7).isLessThan((Long) run.get("steps"));
        assertThat((Double) run.get("decode_throughput")).isPositive();
        // Each request holds 2 blocks of 16 for its 24 tokens while it runs.
        assertThat((Long) run.get("peak_kv_blocks_used")).isEqualTo(8);
        assertThat(Files.readString(html)).startsWith("<!DOCTYPE html>").contains("<svg");
    }

    @Test
    void aSweepPrintsOneRowPerLevelAndSharedPrefixesHitTheCache(@TempDir Path dir) throws Exception {
        Result r = run("bench", "--model", model(), "--num-prompts", "4", "--input-len", "8", "--output-len", "4",
                "--prefix-len", "48", "--num-prefixes", "1", "--ignore-eos", "--warmup", "0", "--bandwidth-gbs", "10",
                "--sweep", "concurrency=1,2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.getFirst()).startsWith("Sweep over concurrency=1,2");
        assertThat(lines.get(3).trim()).startsWith("1 ");
        assertThat(lines.get(4).trim()).startsWith("2 ");
        assertThat(lines).hasSize(5);
        // One at a time, requests 2-4 find the 48-token prefix (3 blocks of 16) that request 1 computed.
        Path oneJson = dir.resolve("one.json");
        Result one = run("bench", "--model", model(), "--num-prompts", "4", "--input-len", "8", "--output-len", "4",
                "--prefix-len", "48", "--ignore-eos", "--warmup", "0", "--bandwidth-gbs", "10", "--max-concurrency", "1",
                "--json", oneJson.toString());
        assertThat(one.exitCode()).as(one.err()).isZero();
        assertThat(one.out()).containsPattern("of which from prefix cache: +144\\n")
                .contains("Load:                                    max concurrency 1")
                .containsPattern("Prefix waits: +0 \\(");
        Result off = run("bench", "--model", model(), "--num-prompts", "4", "--input-len", "8", "--output-len", "4",
                "--prefix-len", "48", "--ignore-eos", "--warmup", "0", "--bandwidth-gbs", "10", "--max-concurrency", "1",
                "--no-prefix-cache");
        assertThat(off.out()).containsPattern("of which from prefix cache: +0\\n");
        // The same with an F16 cache (stories260K is F32, so its default is F32): as many blocks in half
        // the bytes, the same prefix hits.
        Path halfJson = dir.resolve("half.json");
        Result half = run("bench", "--model", model(), "--num-prompts", "4", "--input-len", "8", "--output-len", "4",
                "--prefix-len", "48", "--ignore-eos", "--warmup", "0", "--bandwidth-gbs", "10", "--max-concurrency", "1",
                "--kv-cache-type", "f16", "--json", halfJson.toString());
        assertThat(half.exitCode()).as(half.err()).isZero();
        assertThat(half.out()).containsPattern("of which from prefix cache: +144\\n");
        Map<String, Object> f32Run = firstRun(oneJson);
        // One request at a time: the prefix is published before the next one arrives, none waits.
        assertThat(f32Run).containsEntry("prefix_waits", 0L);
        Map<String, Object> f16Run = firstRun(halfJson);
        assertThat(f16Run.get("kv_blocks_total")).isEqualTo(f32Run.get("kv_blocks_total")).isEqualTo(7L);
        assertThat((Long) f16Run.get("kv_cache_bytes") * 2).isEqualTo(f32Run.get("kv_cache_bytes"));
        // A size given in MiB is used as given, in whole blocks.
        Path mibJson = dir.resolve("mib.json");
        Result mib = run("bench", "--model", model(), "--num-prompts", "1", "--input-len", "8", "--output-len", "2",
                "--warmup", "0", "--bandwidth-gbs", "10", "--kv-cache-mib", "1", "--json", mibJson.toString());
        assertThat(mib.exitCode()).as(mib.err()).isZero();
        long bytesPerBlock = (Long) f32Run.get("kv_cache_bytes") / 7;
        Map<String, Object> mibRun = firstRun(mibJson);
        assertThat((Long) mibRun.get("kv_blocks_total")).isEqualTo((1L << 20) / bytesPerBlock);
        assertThat((Long) mibRun.get("kv_cache_bytes")).isEqualTo((1L << 20) / bytesPerBlock * bytesPerBlock);
    }

    @Test
    void theDefaultWarmUpIsRecordedAsAuto(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("w.json");
        Result r = run("bench", "--model", model(), "--num-prompts", "3", "--input-len", "8", "--output-len", "4",
                "--ignore-eos", "--max-concurrency", "2", "--bandwidth-gbs", "10", "--json", json.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, Object> config = Json.asObject(Json.asObject(Json.parse(json), "root").get("config"), "config");
        assertThat(config).containsEntry("warmup_requests", "auto");
        Map<String, Object> auto = firstRun(json);
        assertThat(auto).containsEntry("completed", 3L).containsEntry("total_output_tokens", 12L);
        // Two streams, but the automatic warm-up runs four requests (the least it runs) of up to 16 + 3
        // output tokens: the KV cache is sized for them, so it is larger than without a warm-up.
        Path noneJson = dir.resolve("none.json");
        Result none = run("bench", "--model", model(), "--num-prompts", "3", "--input-len", "8", "--output-len", "4",
                "--ignore-eos", "--max-concurrency", "2", "--bandwidth-gbs", "10", "--warmup", "0", "--json",
                noneJson.toString());
        assertThat(none.exitCode()).as(none.err()).isZero();
        assertThat((Long) auto.get("kv_blocks_total")).isGreaterThan((Long) firstRun(noneJson).get("kv_blocks_total"));
    }

    private static Map<String, Object> firstRun(Path json) throws Exception {
        Map<String, Object> root = Json.asObject(Json.parse(json), "root");
        return Json.asObject(Json.asArray(root.get("runs"), "runs").getFirst(), "run");
    }

    @Test
    void badOptionsGiveOneLineErrorsAndANonZeroExit(@TempDir Path dir) {
        assertError(run("bench", "--model", model(), "--range-ratio", "1.5"), "--range-ratio must be in [0, 1)");
        assertError(run("bench", "--model", model(), "--num-prompts", "0", "--input-len", "-3"), "--num-prompts");
        assertError(run("bench", "--model", model(), "--num-prompts", "x"), "--num-prompts expects a whole number");
        assertError(run("bench", "--model", model(), "--slo", "ttft=fast"), "--slo ttft");
        assertError(run("bench", "--model", model(), "--sweep", "batch=1,2"), "unknown parameter 'batch'");
        assertError(run("bench", "--model", model(), "--request-rate", "-1"), "--request-rate");
        assertError(run("bench", "--model", model(), "--max-concurrency", "0"), "--max-concurrency");
        assertError(run("bench", "--model", model(), "--bandwidth-gbs", "0"), "--bandwidth-gbs");
        assertError(run("bench", "--model", model(), "--warmup", "-1"), "--warmup must be at least 0");
        assertError(run("bench", "--model", model(), "--warmup", "some"), "--warmup expects a whole number");
        assertError(run("bench", "--model", model(), "--json", dir.resolve("no/such/x.json").toString()),
                "folder of --json does not exist");
        assertError(run("bench", "--model", dir.resolve("none.gguf").toString()), "file not found");
        assertError(run("bench", "--model", model(), "--dtype", "q8_0"), "leave them out with --model");
        assertError(run("bench", "--dtype", "q3_x", "--cache-dir", dir.toString()), "unsupported --dtype 'q3_x'");
        assertError(run("bench", "--model", model(), "--input-len", "2000", "--output-len", "100"),
                "does not fit the model's context of 2048 tokens");
        assertError(run("bench", "--model", model(), "--frobnicate"), "unknown option '--frobnicate'");
        assertError(run("bench", "--model", model(), "--kv-cache-type", "fp8"),
                "--kv-cache-type must be one of auto, f32, f16, bf16, got 'fp8'");
        assertError(run("bench", "--model", model(), "--backend", "cpu", "--kv-cache-type", "bf16", "--bandwidth-gbs",
                "1", "--num-prompts", "1"), "the cpu backend stores its KV cache as F32 or F16, not BF16");
        assertError(run("bench", "--model", model(), "--backend", "tpu", "--bandwidth-gbs", "1", "--num-prompts", "1"),
                "cannot start the engine: unknown backend 'tpu'");
        Result help = run("bench", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--sweep SPEC").contains("--request-rate R").contains("--no-prefix-cache");
    }

    private static void assertError(Result r, String text) {
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.err().lines()).singleElement().asString().startsWith("infera bench: ").contains(text);
    }
}
