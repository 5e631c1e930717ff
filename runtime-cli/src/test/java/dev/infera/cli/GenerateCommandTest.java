package dev.infera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.json.Json;
import dev.infera.core.testing.SharedModels;
import dev.infera.core.tokenizer.TokenizerGguf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code infera generate} in-process on stories260K against llama2.c run.c's published outputs. run.c's
 * {@code -n N} samples {@code N - promptTokens + 1} tokens and prints the prompt before them;
 * {@code generate} prints only the generated text and a final newline, so run.c's text is the prompt
 * followed by our stdout without that newline.
 */
class GenerateCommandTest {

    private static String model() {
        return SharedModels.file("stories260K.gguf").toString();
    }

    private static String expected(String name) throws IOException {
        return Files.readString(SharedModels.file("reference/stories260K/" + name + ".expected.txt"));
    }

    @Test
    void greedyFromAnEmptyPromptStreamsRunCsText() throws IOException {
        InspectCommandTest.Result r = InspectCommandTest.run("generate", "--model", model(), "--prompt", "",
                "--max-tokens", "200", "--temperature", "0", "--threads", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(expected("greedy_t0_n200") + "\n");
        assertThat(r.err().lines().toList().getLast()).startsWith("[1 prompt tokens, 200 generated, time to first token ")
                .endsWith("finish: max_tokens]");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "sample_t1_p0.95_s42_n200_prompt-There_was_a_big | 0.95 | 42 | 200 | There was a big",
        "sample_t1_p1_s42_n200                           | 1    | 42 | 200 | ''"})
    void seededTopPWithAndWithoutPromptMatchesRunC(String name, String topP, String seed, int steps, String prompt)
            throws IOException {
        int promptTokens = TokenizerGguf.load(Path.of(model())).encode(prompt).length;
        InspectCommandTest.Result r = InspectCommandTest.run("generate", "--model", model(), "--prompt", prompt,
                "--max-tokens", String.valueOf(steps - promptTokens + 1), "--temperature", "1", "--top-p", topP,
                "--seed", seed, "--threads", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(prompt + r.out()).isEqualTo(expected(name) + "\n");
    }

    @Test
    void jsonReportsTextIdsCountsAndTimings() throws IOException {
        InspectCommandTest.Result r = InspectCommandTest.run("generate", "--model", model(), "--max-tokens", "256",
                "--temperature", "1", "--top-p", "0.9", "--seed", "133742", "--threads", "2", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out().strip()).doesNotContain("\n");
        Map<String, Object> json = Json.parseObject(r.out());
        assertThat(json.keySet()).containsExactly("text", "token_ids", "finish_reason", "prompt_tokens",
                "completion_tokens", "ttft_ms", "decode_tokens_per_s");
        assertThat(json.get("text")).isEqualTo(expected("sample_t1_p0.9_s133742_n256"));
        assertThat((List<?>) json.get("token_ids")).hasSize(256);
        assertThat(json.get("finish_reason")).isEqualTo("max_tokens");
        assertThat(json.get("prompt_tokens")).isEqualTo(1L);
        assertThat(json.get("completion_tokens")).isEqualTo(256L);
        assertThat(((Number) json.get("ttft_ms")).doubleValue()).isPositive();
        assertThat(((Number) json.get("decode_tokens_per_s")).doubleValue()).isPositive();
    }

    @Test
    void stopsAtEndOfSequenceUnlessTold() {
        // With a near-uniform distribution over 512 tokens, EOS (id 2) comes up well within 20000 tokens.
        InspectCommandTest.Result r = InspectCommandTest.run("generate", "--model", model(), "--max-tokens", "20000",
                "--temperature", "50", "--seed", "7", "--threads", "2", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, Object> json = Json.parseObject(r.out());
        @SuppressWarnings("unchecked")
        List<Object> ids = (List<Object>) json.get("token_ids");
        assertThat(json.get("finish_reason")).isEqualTo("stop_token");
        assertThat(ids.getLast()).isEqualTo(2L);
        assertThat(ids.subList(0, ids.size() - 1)).doesNotContain((Object) 2L);
    }

    @Test
    void badInputExitsNonZeroWithOneClearLine(@TempDir Path dir) throws IOException {
        Path junk = Files.writeString(dir.resolve("junk.gguf"), "this is not a model");
        String[][] cases = {
            {"generate", "--model", dir.resolve("missing.gguf").toString(), "--prompt", "hi"},
            {"generate", "--model", junk.toString(), "--prompt", "hi"},
            {"generate", "--model", model(), "--temperature", "-1"},
            {"generate", "--model", model(), "--top-p", "1.5"},
            {"generate", "--model", model(), "--min-p", "1"},
            {"generate", "--model", model(), "--max-tokens", "0"},
            {"generate", "--model", model(), "--max-tokens", "many"},
            {"generate", "--model", model(), "--threads", "0"},
            {"generate", "--model", model(), "--backend", "nonesuch"},
            {"generate", "--prompt", "hi"},
        };
        String[] mentions = {"missing.gguf", "junk.gguf", "--temperature", "--top-p", "--min-p", "--max-tokens",
            "--max-tokens", "--threads", "nonesuch", "--model"};
        for (int i = 0; i < cases.length; i++) {
            InspectCommandTest.Result r = InspectCommandTest.run(cases[i]);
            assertThat(r.exitCode()).as(String.join(" ", cases[i])).isNotZero();
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).startsWith("infera generate: ").contains(mentions[i]).endsWith("\n");
            assertThat(r.err().strip()).as("one line").doesNotContain("\n");
        }
    }
}
