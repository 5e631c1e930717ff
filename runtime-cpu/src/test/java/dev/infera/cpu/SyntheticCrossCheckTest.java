package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.backend.BackendContext;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelWeights;
import dev.infera.core.testing.PagedSequences;
import dev.infera.core.testing.SyntheticModel;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fast path (SimdMatMul, Vector API kernels, two threads) against the scalar reference path on
 * random F32 models with the attention layouts of SmolLM2-135M (9 heads over 3 KV heads, NORM rope,
 * separate output matrix) and Qwen2.5-0.5B (14 heads over 2 KV heads, Q/K/V biases, NEOX rope, tied
 * output), two layers, a small vocabulary (and a quarter of Qwen's FFN width, to keep the scalar
 * reference quick): eight seeded prompts, prefilled and then decoded for
 * a few steps, must give logits within 1e-4 relative error and the same greedy tokens.
 */
class SyntheticCrossCheckTest {

    private static final int DECODE_STEPS = 3;

    @ParameterizedTest
    @ValueSource(strings = {"smollm2-135m", "qwen2.5-0.5b"})
    void simdPathMatchesScalarReference(String shape) {
        ModelConfig config = switch (shape) {
            case "smollm2-135m" -> SyntheticModel.smollm2Like(2, 1536, 384);
            case "qwen2.5-0.5b" -> SyntheticModel.qwen25Like(2, 4864 / 4, 384);
            default -> throw new IllegalArgumentException(shape);
        };
        ModelWeights weights = SyntheticModel.weights(config, shape.hashCode(), shape.startsWith("qwen"));
        Random rnd = new Random(2024);
        double worst = 0;
        try (CpuBackend fast = CpuBackend.create(new BackendContext(weights, 2));
                CpuBackend reference = CpuBackend.scalarReference(weights)) {
            PagedSequences fastSeqs = new PagedSequences(fast, 16, 16, 1);
            PagedSequences refSeqs = new PagedSequences(reference, 16, 16, 2);
            for (int p = 0; p < 8; p++) {
                int[] prompt = new int[1 + rnd.nextInt(12)];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = rnd.nextInt(config.vocabSize());
                }
                int fastSeq = fastSeqs.newSequence();
                int refSeq = refSeqs.newSequence();
                float[] a = fastSeqs.step(fastSeq, prompt);
                float[] b = refSeqs.step(refSeq, prompt);
                for (int step = 0; ; step++) {
                    double err = PagedSequences.relativeError(a, b);
                    worst = Math.max(worst, err);
                    assertThat(err).as("%s prompt %d step %d", shape, p, step).isLessThanOrEqualTo(1e-4);
                    int next = PagedSequences.argmax(b);
                    assertThat(PagedSequences.argmax(a)).isEqualTo(next);
                    if (step == DECODE_STEPS) {
                        break;
                    }
                    a = fastSeqs.step(fastSeq, next);
                    b = refSeqs.step(refSeq, next);
                }
            }
        }
        System.out.printf("synthetic %s: SIMD vs scalar reference, worst logits relative error %.3g%n", shape, worst);
    }
}
