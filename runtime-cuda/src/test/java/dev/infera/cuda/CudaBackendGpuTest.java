package dev.infera.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepResult;
import dev.infera.core.gguf.GgmlType;
import dev.infera.core.model.LoadedModel;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelWeights;
import dev.infera.core.testing.PagedSequences;
import dev.infera.core.testing.SharedModels;
import dev.infera.core.testing.SyntheticModel;
import dev.infera.core.tokenizer.TokenizerGguf;
import dev.infera.cpu.CpuBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CPU backend's correctness suite on a real GPU: stories260K greedy text exactly as run.c prints
 * it (F32), synthetic models' logits against the CPU backend (relative error at most 1e-4 in F32, 2e-2
 * in BF16 and the quantized formats), batch invariance, and greedy tokens picked on the device. Skips
 * where the CUDA backend cannot run (see {@link GpuRequirement}).
 */
class CudaBackendGpuTest {

    @BeforeEach
    void gpu() {
        GpuRequirement.requireCuda();
    }

    private static CudaBackend cuda(ModelWeights w) {
        return CudaBackend.create(new BackendContext(w, 1));
    }

    @Test
    void stories260KGreedyTextEqualsRunCAndLogitsMatchTheCpu() throws IOException {
        String expected = Files.readString(SharedModels.file("reference/stories260K/greedy_t0_n200.expected.txt"));
        try (LoadedModel model = LoadedModel.open(SharedModels.file("stories260K.gguf"));
                CudaBackend gpu = cuda(model.weights());
                CpuBackend cpu = CpuBackend.create(new BackendContext(model.weights(), 2))) {
            PagedSequences g = new PagedSequences(gpu, 20, 16, 7);
            PagedSequences c = new PagedSequences(cpu, 20, 16, 8);
            int gs = g.newSequence();
            int cs = c.newSequence();
            int token = 1;
            double worst = 0;
            int[] generated = new int[200];
            for (int step = 0; step < 200; step++) {
                float[] a = g.step(gs, token);
                float[] b = c.step(cs, token);
                worst = Math.max(worst, PagedSequences.relativeError(a, b));
                token = PagedSequences.argmax(a);
                generated[step] = token;
            }
            assertThat(TokenizerGguf.load(model.gguf().metadata()).decode(generated)).isEqualTo(expected);
            assertThat(worst).isLessThanOrEqualTo(1e-4);
            assertThat(gpu.graphReplays()).isGreaterThan(190);
            System.out.printf("stories260K on %s: greedy text equals run.c; worst logits relative error vs CPU %.3g%n",
                    gpu.deviceName(), worst);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "smollm2-135m, F32, 1e-4",
        "qwen2.5-0.5b, F32, 1e-4",
        "smollm2-135m, BF16, 2e-2",
        "qwen2.5-0.5b, BF16, 2e-2",
        "qwen2.5-0.5b, F16, 2e-2",
        "smollm2-135m, Q8_0, 2e-2",
        "qwen2.5-0.5b, Q4_0, 2e-2",
    })
    void syntheticModelsMatchTheCpuBackend(String shape, String type, double tolerance) {
        ModelConfig config = shape.startsWith("qwen") ? SyntheticModel.qwen25Like(2, 4864 / 4, 384)
                : SyntheticModel.smollm2Like(2, 1536, 384);
        ModelWeights w = TestModels.weights(config, shape.hashCode(), shape.startsWith("qwen"), GgmlType.valueOf(type));
        try (CudaBackend gpu = cuda(w); CpuBackend cpu = CpuBackend.create(new BackendContext(w, 2))) {
            BackendComparison.Outcome o = BackendComparison.run(gpu, cpu, config.vocabSize(), 21, 40, 24, 12, tolerance);
            System.out.printf("CUDA vs CPU, %s %s: worst logits relative error %.3g, greedy agreed %d/%d%n", shape, type,
                    o.worstRelativeError(), o.greedyAgreed(), o.greedyTotal());
            if (tolerance <= 1e-4) {
                assertThat(o.greedyAgreed()).isEqualTo(o.greedyTotal());
            }
            assertThat(gpu.graphReplays()).isPositive();
        }
    }

    @Test
    void batchedAndChunkedSequencesGetTheTokensTheyGetAlone() {
        try (LoadedModel model = LoadedModel.open(SharedModels.file("stories260K.gguf"));
                CudaBackend gpu = cuda(model.weights())) {
            Random rnd = new Random(42);
            int[][] prompts = new int[12][];
            for (int i = 0; i < prompts.length; i++) {
                prompts[i] = new int[3 + rnd.nextInt(30)];
                prompts[i][0] = 1;
                for (int j = 1; j < prompts[i].length; j++) {
                    prompts[i][j] = 3 + rnd.nextInt(509);
                }
            }
            int steps = 20;
            int[][] alone = new int[prompts.length][steps];
            float[][][] aloneLogits = new float[prompts.length][steps][];
            for (int i = 0; i < prompts.length; i++) {
                PagedSequences s = new PagedSequences(gpu, 64, 16, i);
                int seq = s.newSequence();
                float[] last = s.step(seq, prompts[i]);
                for (int t = 0; t < steps; t++) {
                    aloneLogits[i][t] = last;
                    alone[i][t] = PagedSequences.argmax(last);
                    last = t + 1 < steps ? s.step(seq, alone[i][t]) : null;
                }
            }
            PagedSequences s = new PagedSequences(gpu, 256, 16, 99);
            int[] fed = new int[prompts.length];
            int[] produced = new int[prompts.length];
            int[] next = new int[prompts.length];
            for (int i = 0; i < prompts.length; i++) {
                s.newSequence();
            }
            double worst = 0;
            boolean busy = true;
            while (busy) {
                List<PagedSequences.Feed> feeds = new ArrayList<>();
                List<Integer> owners = new ArrayList<>();
                for (int i = prompts.length - 1; i >= 0; i--) {
                    if (fed[i] < prompts[i].length) {
                        int end = Math.min(prompts[i].length, fed[i] + 7);
                        feeds.add(new PagedSequences.Feed(i, Arrays.copyOfRange(prompts[i], fed[i], end), end == prompts[i].length));
                        if (end == prompts[i].length) {
                            owners.add(i);
                        }
                        fed[i] = end;
                    } else if (produced[i] < steps) {
                        feeds.add(new PagedSequences.Feed(i, new int[] {next[i]}, true));
                        owners.add(i);
                    }
                }
                float[][] rows = s.step(feeds);
                for (int r = 0; r < rows.length; r++) {
                    int i = owners.get(r);
                    worst = Math.max(worst, PagedSequences.relativeError(rows[r], aloneLogits[i][produced[i]]));
                    next[i] = PagedSequences.argmax(rows[r]);
                    assertThat(next[i]).as("prompt %d, token %d", i, produced[i]).isEqualTo(alone[i][produced[i]]);
                    produced[i]++;
                }
                busy = Arrays.stream(produced).anyMatch(p -> p < steps);
            }
            assertThat(worst).isLessThanOrEqualTo(1e-4);
            System.out.printf("batch invariance on %s: worst logits relative error batched vs alone %.3g%n",
                    gpu.deviceName(), worst);
        }
    }

    @Test
    void greedyTokensPickedOnTheDeviceEqualTheLogitsArgmax() {
        ModelConfig c = SyntheticModel.smollm2Like(2, 1536, 49152 / 16);
        ModelWeights w = TestModels.weights(c, 77, true, GgmlType.BF16);
        try (CudaBackend gpu = cuda(w)) {
            PagedSequences s = new PagedSequences(gpu, 128, 16, 5);
            List<PagedSequences.Feed> prompts = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                prompts.add(new PagedSequences.Feed(s.newSequence(), new int[] {1 + i, 2 * i + 5, 3 * i + 7, 100 + i}, true));
            }
            s.step(prompts);
            List<PagedSequences.Feed> decode = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                decode.add(new PagedSequences.Feed(i, new int[] {200 + i}, true));
            }
            StepBatch batch = s.batch(decode);
            StepResult logits = gpu.execute(batch);
            int[] expected = new int[20];
            for (int i = 0; i < 20; i++) {
                expected[i] = logits.argmax(i);
            }
            assertThat(Arrays.copyOf(gpu.executeGreedy(batch), 20)).containsExactly(expected);
        }
    }
}
