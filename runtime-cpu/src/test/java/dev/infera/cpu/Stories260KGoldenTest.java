package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.KvCacheType;
import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.model.LoadedModel;
import dev.infera.core.testing.PagedSequences;
import dev.infera.core.testing.SharedModels;
import dev.infera.core.tokenizer.Tokenizer;
import dev.infera.core.tokenizer.TokenizerGguf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * stories260K (F32) against llama2.c's run.c: greedy decoding from BOS must choose run.c's token at
 * every one of 256 positions, decode to exactly the text run.c prints for {@code -n 200} and
 * {@code -n 256}, and our logits must match its recorded top-5 logits at every position and its full
 * logit vectors at positions 0 and 1 within 1e-4. With the KV cache in F16 (both paths) the tokens
 * and texts must still be run.c's and the logits within 2e-2 of its F32 ones.
 */
class Stories260KGoldenTest {

    private static LoadedModel model;
    private static TraceFile trace;

    @BeforeAll
    static void load() {
        model = LoadedModel.open(SharedModels.file("stories260K.gguf"));
        trace = TraceFile.read(SharedModels.file("reference/stories260K/greedy_t0_n256.trace.txt"));
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    /** run.c's output for {@code -n steps}: the text of the {@code steps} tokens it generates after BOS. */
    private static String expectedText(int steps) {
        try {
            return Files.readString(SharedModels.file("reference/stories260K/greedy_t0_n" + steps + ".expected.txt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static CpuBackend backend(String path) {
        return switch (path) {
            case "scalar" -> CpuBackend.scalarReference(model.weights());
            case "simd" -> CpuBackend.create(new BackendContext(model.weights(), 2));
            case "scalar-f16" -> CpuBackend.scalarReference(model.weights(), KvCacheType.F16);
            case "simd-f16" -> CpuBackend.create(new BackendContext(model.weights(), 2, KvCacheType.F16));
            default -> throw new IllegalArgumentException(path);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"simd", "scalar", "simd-f16", "scalar-f16"})
    void greedyTokensAndLogitsMatchRunC(String path) {
        assertThat(trace.promptTokens()).containsExactly(1);
        assertThat(trace.steps()).hasSize(256);
        try (CpuBackend backend = backend(path)) {
            int elementBytes = path.endsWith("f16") ? 2 : 4;
            assertThat(backend.kvCacheBytesPerBlock(16))
                    .isEqualTo(KvCacheLayout.bytesPerBlock(model.config(), 16, elementBytes));
            PagedSequences seqs = new PagedSequences(backend, 20, 16, 7);
            int seq = seqs.newSequence();
            int token = 1;
            double maxTopDiff = 0;
            double maxFullDiff = 0;
            int[] generated = new int[trace.steps().size()];
            for (TraceFile.Step step : trace.steps()) {
                assertThat(step.input()).as("input at pos %d", step.pos()).isEqualTo(token);
                float[] logits = seqs.step(seq, token);
                for (int i = 0; i < step.topIds().length; i++) {
                    maxTopDiff = Math.max(maxTopDiff, Math.abs(logits[step.topIds()[i]] - step.topLogits()[i]));
                }
                float[] full = trace.fullLogits().get(step.pos());
                if (full != null) {
                    assertThat(full).hasSize(logits.length);
                    for (int i = 0; i < full.length; i++) {
                        maxFullDiff = Math.max(maxFullDiff, Math.abs(logits[i] - full[i]));
                    }
                }
                token = PagedSequences.argmax(logits);
                assertThat(token).as("greedy token after pos %d", step.pos()).isEqualTo(step.next());
                generated[step.pos()] = token;
            }
            Tokenizer tokenizer = TokenizerGguf.load(model.gguf().metadata());
            assertThat(tokenizer.decode(Arrays.copyOf(generated, 200))).isEqualTo(expectedText(200));
            assertThat(tokenizer.decode(generated)).isEqualTo(expectedText(256));
            System.out.printf("stories260K %s path: max |logit diff| vs run.c: top-5 %.3g, full vectors %.3g%n",
                    path, maxTopDiff, maxFullDiff);
            assertThat(trace.fullLogits()).containsKeys(0, 1);
            double tolerance = path.endsWith("f16") ? 2e-2 : 1e-4;
            assertThat(maxTopDiff).isLessThanOrEqualTo(tolerance);
            assertThat(maxFullDiff).isLessThanOrEqualTo(tolerance);
        }
    }
}
