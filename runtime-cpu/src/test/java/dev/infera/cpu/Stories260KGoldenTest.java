package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.model.LoadedModel;
import dev.infera.core.testing.SharedModels;
import dev.infera.cpu.kernels.ScalarMatMul;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * stories260K (F32) against llama2.c's run.c: greedy decoding from BOS must choose run.c's token at
 * every one of 256 positions, and our logits must match its recorded top-5 logits at every position
 * and its full logit vectors at positions 0 and 1 within 1e-4.
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

    static CpuBackend backend(String path) {
        return switch (path) {
            case "scalar" -> CpuBackend.scalarReference(model.weights());
            case "simd" -> CpuBackend.withKernels(model.weights(), 2, pool -> CpuKernels.vectorized(
                    new ScalarMatMul(), FloatVector.SPECIES_PREFERRED, model.config().headDim()));
            default -> throw new IllegalArgumentException(path);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"simd", "scalar"})
    void greedyTokensAndLogitsMatchRunC(String path) {
        assertThat(trace.promptTokens()).containsExactly(1);
        assertThat(trace.steps()).hasSize(256);
        try (CpuBackend backend = backend(path)) {
            PagedSequences seqs = new PagedSequences(backend, 20, 16, 7);
            int seq = seqs.newSequence();
            int token = 1;
            double maxTopDiff = 0;
            double maxFullDiff = 0;
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
            }
            System.out.printf("stories260K %s path: max |logit diff| vs run.c: top-5 %.3g, full vectors %.3g%n",
                    path, maxTopDiff, maxFullDiff);
            assertThat(trace.fullLogits()).containsKeys(0, 1);
            assertThat(maxTopDiff).isLessThanOrEqualTo(1e-4);
            assertThat(maxFullDiff).isLessThanOrEqualTo(1e-4);
        }
    }
}
