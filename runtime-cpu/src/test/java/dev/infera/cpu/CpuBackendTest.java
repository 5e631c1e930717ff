package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.KvCacheType;
import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.BackendProvider;
import dev.infera.core.backend.Backends;
import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepBatchBuilder;
import dev.infera.core.backend.StepResult;
import dev.infera.core.model.ModelArchitecture;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelWeights;
import dev.infera.core.model.RopeScaling;
import dev.infera.core.testing.PagedSequences;
import dev.infera.core.testing.SyntheticModel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CpuBackendTest {

    private static final ModelConfig CONFIG = new ModelConfig(ModelArchitecture.LLAMA, 64, 2, 4, 2, 16, 96, 50,
            1e-5f, 10000f, 16, RopeScaling.NONE, 256);
    private static final ModelWeights WEIGHTS = SyntheticModel.weights(CONFIG, 5, false);

    @Test
    void serviceLoaderFindsTheCpuProvider() {
        BackendProvider provider = Backends.select("cpu");
        assertThat(provider).isInstanceOf(CpuBackendProvider.class);
        assertThat(provider.probe().available()).isTrue();
        assertThat(Backends.providers()).extracting(BackendProvider::id).contains("cpu");
        try (ExecutionBackend backend = provider.create(new BackendContext(WEIGHTS, 1))) {
            KvCacheLayout layout = backend.allocateKvCache(4, 16);
            assertThat(backend.kvCacheBytesPerBlock(16)).isEqualTo(layout.bytesPerBlock())
                    .isEqualTo(2L * 2 * 2 * 16 * 16 * 4);
            StepResult r = backend.execute(new StepBatchBuilder(layout).addSequence(new int[] {2}, 0,
                    new int[] {1, 7, 9}, true).build());
            assertThat(r.numRows()).isEqualTo(1);
            assertThat(r.vocabSize()).isEqualTo(50);
        }
    }

    /** Keys are stored in rows padded to 16 slots, so an odd block size costs more than K + V of its tokens. */
    @Test
    void bytesPerBlockIncludeTheKeyPadding() {
        try (CpuBackend backend = CpuBackend.create(new BackendContext(WEIGHTS, 1))) {
            // 2 layers x 2 KV heads x 16 head dims x (16 padded key slots + 5 value rows) x 4 bytes.
            assertThat(backend.kvCacheBytesPerBlock(5)).isEqualTo(2L * 2 * 16 * (16 + 5) * 4);
            assertThat(backend.kvCacheBytesPerBlock(32)).isEqualTo(KvCacheLayout.bytesPerBlock(CONFIG, 32, 4));
        }
    }

    /** An F16 cache takes half the bytes and runs a step; BF16 is not a CPU cache type. */
    @Test
    void halfPrecisionCacheOnRequest() {
        try (CpuBackend backend = CpuBackend.create(new BackendContext(WEIGHTS, 2, KvCacheType.F16))) {
            assertThat(backend.kvCacheBytesPerBlock(16)).isEqualTo(KvCacheLayout.bytesPerBlock(CONFIG, 16, 2));
            assertThat(backend.kvCacheBytesPerBlock(5)).isEqualTo(2L * 2 * 16 * (16 + 5) * 2);
            KvCacheLayout layout = backend.allocateKvCache(4, 16);
            assertThat(layout.bytesPerElement()).isEqualTo(2);
            StepResult r = backend.execute(new StepBatchBuilder(layout).addSequence(new int[] {2}, 0,
                    new int[] {1, 7, 9}, true).build());
            assertThat(r.numRows()).isEqualTo(1);
        }
        assertThatThrownBy(() -> CpuBackend.create(new BackendContext(WEIGHTS, 1, KvCacheType.BF16)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F32 or F16, not BF16");
    }

    @Test
    void rejectsMisuseWithClearMessages() {
        CpuBackend backend = CpuBackend.create(new BackendContext(WEIGHTS, 2));
        KvCacheLayout other = KvCacheLayout.forModel(CONFIG, 8, 16, 4);
        StepBatch forOther = new StepBatchBuilder(other).addSequence(new int[] {7}, 0, new int[] {1}, true).build();
        assertThatThrownBy(() -> backend.execute(forOther))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("allocateKvCache");
        KvCacheLayout layout = backend.allocateKvCache(4, 16);
        assertThatThrownBy(() -> backend.execute(forOther))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was built for KV layout");
        assertThatThrownBy(() -> backend.execute(new StepBatchBuilder(layout)
                .addSequence(new int[] {0}, 0, new int[] {1, 50}, true).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 50 at row 1");
        StepResult none = backend.execute(new StepBatchBuilder(layout)
                .addSequence(new int[] {0}, 0, new int[] {1, 2}, false).build());
        assertThat(none.numRows()).isZero();
        assertThatThrownBy(() -> backend.allocateKvCache(0, 16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> backend.kvCacheBytesPerBlock(0)).isInstanceOf(IllegalArgumentException.class);
        backend.close();
        backend.close();
        assertThatThrownBy(() -> backend.allocateKvCache(4, 16))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    /**
     * A second sequence whose block table starts with the first one's full blocks (a prefix-cache hit)
     * computes only its own tokens and gets the logits of computing everything itself.
     */
    @Test
    void sharedPrefixBlocksAreReadThroughTheBlockTable() {
        int[] prompt = new int[40];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 7 + 3) % CONFIG.vocabSize();
        }
        try (CpuBackend backend = CpuBackend.create(new BackendContext(WEIGHTS, 2))) {
            KvCacheLayout layout = backend.allocateKvCache(8, 16);
            float[] full = backend.execute(new StepBatchBuilder(layout)
                    .addSequence(new int[] {5, 2, 7}, 0, prompt, true).build()).row(0);
            float[] shared = backend.execute(new StepBatchBuilder(layout)
                    .addSequence(new int[] {5, 2, 3}, 32, Arrays.copyOfRange(prompt, 32, 40), true).build()).row(0);
            assertThat(PagedSequences.relativeError(shared, full)).isLessThanOrEqualTo(1e-5);
            float[] unrelated = backend.execute(new StepBatchBuilder(layout)
                    .addSequence(new int[] {5, 6, 4}, 32, Arrays.copyOfRange(prompt, 0, 8), true).build()).row(0);
            assertThat(PagedSequences.relativeError(unrelated, full)).isGreaterThan(1e-3);
        }
    }
}
