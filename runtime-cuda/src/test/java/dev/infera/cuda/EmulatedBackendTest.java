package dev.infera.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepResult;
import dev.infera.core.gguf.GgmlType;
import dev.infera.core.model.LoadedModel;
import dev.infera.core.model.ModelArchitecture;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelWeights;
import dev.infera.core.model.RopeScaling;
import dev.infera.core.testing.PagedSequences;
import dev.infera.core.testing.SharedModels;
import dev.infera.core.testing.SyntheticModel;
import dev.infera.cpu.CpuBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The whole CUDA backend (weight upload and layouts, the planner's launches and arguments, step
 * metadata, scratch sizing, graph capture and replay, logits download) run against {@link EmulatedGpu},
 * whose kernels are Java ports of the CUDA ones, and compared with the CPU backend. This checks
 * everything but the CUDA C itself and the driver bindings on a machine without a GPU; the same
 * comparisons run on a real GPU in {@code CudaBackendGpuTest}.
 */
class EmulatedBackendTest {

    /** A small Llama: 8 heads over 2 KV heads of 32, width 256 (the emulator's loops are slow). */
    static ModelConfig llamaSmall() {
        return new ModelConfig(ModelArchitecture.LLAMA, 256, 2, 8, 2, 32, 256, 384, 1e-5f, 10000f, 32,
                RopeScaling.NONE, 1024);
    }

    /** A small Qwen2: 7 heads over one KV head of 32 (Q/K/V biases, NEOX RoPE). */
    static ModelConfig qwen2Small() {
        return new ModelConfig(ModelArchitecture.QWEN2, 224, 2, 7, 1, 32, 192, 320, 1e-6f, 1000000f, 32,
                RopeScaling.NONE, 1024);
    }

    private static CudaBackend emulated(ModelWeights weights, long dequantChunkBytes) {
        return new CudaBackend(new BackendContext(weights, 1), new EmulatedGpu(), dequantChunkBytes);
    }

    @Test
    void stories260KGreedyTextEqualsRunC() throws IOException {
        String expected = Files.readString(SharedModels.file("reference/stories260K/greedy_t0_n200.expected.txt"));
        try (LoadedModel model = LoadedModel.open(SharedModels.file("stories260K.gguf"));
                CudaBackend backend = emulated(model.weights(), CudaBackend.DEQUANT_CHUNK_BYTES)) {
            PagedSequences seqs = new PagedSequences(backend, 20, 16, 7);
            int seq = seqs.newSequence();
            int token = 1;
            List<Integer> generated = new ArrayList<>();
            for (int step = 0; step < 200; step++) {
                token = PagedSequences.argmax(seqs.step(seq, token));
                generated.add(token);
            }
            String text = dev.infera.core.tokenizer.TokenizerGguf.load(model.gguf().metadata())
                    .decode(generated.stream().mapToInt(Integer::intValue).toArray());
            assertThat(text).isEqualTo(expected);
            assertThat(backend.graphCaptures()).as("one graph per table stride").isBetween(1L, 5L);
            assertThat(backend.graphReplays()).isGreaterThan(190);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "llama, F32, 1e-4",
        "qwen2, F32, 1e-4",
        "llama, BF16, 2e-2",
        "qwen2, F16, 2e-2",
        "llama, Q8_0, 2e-2",
        "qwen2, Q4_0, 2e-2",
        "llama, Q4_1, 2e-2",
    })
    void matchesTheCpuBackendOnMixedBatchedSteps(String family, String type, double tolerance) {
        ModelConfig c = family.equals("qwen2") ? qwen2Small() : llamaSmall();
        ModelWeights w = TestModels.weights(c, family.hashCode() + type.hashCode(), family.equals("qwen2"),
                GgmlType.valueOf(type));
        // small dequantization chunks, so quantized GEMMs run in several row chunks
        try (CudaBackend gpu = emulated(w, 64L * 2 * c.embeddingLength());
                CpuBackend cpu = CpuBackend.create(new BackendContext(w, 2))) {
            BackendComparison.Outcome o = BackendComparison.run(gpu, cpu, c.vocabSize(), 11, 9, 12, 6, tolerance);
            System.out.printf("emulated CUDA vs CPU, %s %s: worst logits relative error %.3g, greedy agreed %d/%d%n",
                    family, type, o.worstRelativeError(), o.greedyAgreed(), o.greedyTotal());
            if (tolerance <= 1e-4) {
                assertThat(o.greedyAgreed()).isEqualTo(o.greedyTotal());
            }
            assertThat(gpu.graphReplays()).as("pure decode steps replay graphs").isPositive();
        }
    }

    @Test
    void greedyTokensOnTheDeviceEqualTheArgmaxOfTheLogits() {
        ModelConfig c = SyntheticModel.smollm2Like(1, 128, 384);
        ModelWeights w = TestModels.weights(c, 5, true, GgmlType.BF16);
        try (CudaBackend backend = emulated(w, CudaBackend.DEQUANT_CHUNK_BYTES)) {
            PagedSequences seqs = new PagedSequences(backend, 64, 16, 3);
            List<PagedSequences.Feed> prefill = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                prefill.add(new PagedSequences.Feed(seqs.newSequence(), new int[] {i + 1, 40 + i, 7 * i + 3}, true));
            }
            seqs.step(prefill);
            List<PagedSequences.Feed> decode = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                decode.add(new PagedSequences.Feed(i, new int[] {100 + i}, true));
            }
            StepBatch batch = seqs.batch(decode);
            StepResult logits = backend.execute(batch);
            int[] expected = {logits.argmax(0), logits.argmax(1), logits.argmax(2)};
            int[] greedy = backend.executeGreedy(batch);
            assertThat(java.util.Arrays.copyOf(greedy, 3)).containsExactly(expected);
        }
    }

    @Test
    void closingFreesEveryDeviceAllocation() {
        ModelConfig c = SyntheticModel.qwen25Like(1, 128, 256);
        ModelWeights w = TestModels.weights(c, 9, true, GgmlType.Q8_0);
        EmulatedGpu gpu = new EmulatedGpu();
        CudaBackend backend = new CudaBackend(new BackendContext(w, 1), gpu, CudaBackend.DEQUANT_CHUNK_BYTES);
        PagedSequences seqs = new PagedSequences(backend, 32, 16, 1);
        seqs.step(seqs.newSequence(), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20);
        backend.allocateKvCache(16, 16);
        assertThat(gpu.liveAllocations()).isPositive();
        backend.close();
        assertThat(gpu.liveAllocationsAtClose()).isZero();
    }
}
