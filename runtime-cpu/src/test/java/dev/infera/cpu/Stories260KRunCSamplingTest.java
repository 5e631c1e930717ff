package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.FinishReason;
import dev.infera.api.GenerationResult;
import dev.infera.api.SamplingParams;
import dev.infera.core.generation.TextGenerator;
import dev.infera.core.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * End-to-end conformance with llama2.c's run.c on stories260K: the published outputs of greedy and
 * seeded temperature/top-p sampling are reproduced exactly by the core generation loop (tokenizer,
 * CPU backend, sampler, detokenizer).
 *
 * <p>run.c conventions: {@code -n N} counts positions including the prompt's tokens (BOS first), so it
 * samples {@code N - promptTokens + 1} tokens; it stops early when it samples BOS (id 1); it prints the
 * prompt, then the generated pieces, dropping the leading space of the piece right after BOS. Our
 * result text is the continuation only, so run.c's output is the prompt text followed by it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Stories260KRunCSamplingTest {

    private static TextGenerator generator;

    @BeforeAll
    static void open() {
        generator = TextGenerator.open(SharedModels.file("stories260K.gguf"), "cpu", 2);
    }

    @AfterAll
    static void close() {
        if (generator != null) {
            generator.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "greedy_t0_n200                                    | 0.0 | 1.0  | 0      | 200 | ''",
        "greedy_t0_n256                                    | 0.0 | 1.0  | 0      | 256 | ''",
        "sample_t1_p0.9_s133742_n256                       | 1.0 | 0.9  | 133742 | 256 | ''",
        "sample_t1_p1_s42_n200                             | 1.0 | 1.0  | 42     | 200 | ''",
        "sample_t1_p0.95_s42_n200                          | 1.0 | 0.95 | 42     | 200 | ''",
        "sample_t1_p0.95_s42_n200_prompt-There_was_a_big   | 1.0 | 0.95 | 42     | 200 | There was a big"})
    void reproducesRunCOutput(String name, float temperature, float topP, long seed, int steps, String prompt)
            throws IOException {
        String expected = Files.readString(SharedModels.file("reference/stories260K/" + name + ".expected.txt"));
        int[] promptTokens = generator.tokenizer().encode(prompt);
        assertThat(promptTokens[0]).isEqualTo(1);
        SamplingParams params = SamplingParams.builder().temperature(temperature).topP(topP).seed(seed)
                .maxTokens(steps - promptTokens.length + 1).stopTokenIds(List.of(1)).build();
        StringBuilder streamed = new StringBuilder();
        GenerationResult result = generator.generate(promptTokens, params, streamed::append);
        assertThat(prompt + result.text()).isEqualTo(expected);
        assertThat(streamed.toString()).isEqualTo(result.text());
        assertThat(result.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
        assertThat(result.promptTokens()).isEqualTo(promptTokens.length);
        assertThat(result.completionTokens()).isEqualTo(steps - promptTokens.length + 1);
    }
}
