package dev.infera.cuda.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Attention tile sizes: the largest that fit 48 KiB of shared memory, for real head shapes. */
class AttentionConfigTest {

    private static ModelShape heads(int numHeads, int numKvHeads, int headDim) {
        WeightFormat f = WeightFormat.BF16;
        return new ModelShape(numHeads * headDim, 1, numHeads, numKvHeads, headDim, 256, 1000, headDim, false, 1e-5f,
                false, f, f, true, Collections.nCopies(1, new ModelShape.LayerFormats(f, f, f, f)), KvType.BF16);
    }

    @ParameterizedTest
    @CsvSource({
        "8, 4, 8, 512, 16, 32",      // stories260K
        "32, 8, 64, 512, 16, 32",    // Llama-3.2-1B
        "14, 2, 64, 512, 16, 32",    // Qwen2.5-0.5B: 7 query heads per KV head
        "32, 8, 128, 512, 16, 16",   // Llama-3-8B
        "16, 1, 256, 256, 8, 8",     // 16 query heads on one KV head of 256
    })
    void choosesTheLargestTilesThatFit(int numHeads, int numKvHeads, int headDim, int partition, int tileQ, int tileK) {
        ModelShape m = heads(numHeads, numKvHeads, headDim);
        AttentionConfig a = AttentionConfig.choose(m);
        assertThat(a).isEqualTo(new AttentionConfig(partition, tileQ, tileK));
        assertThat(a.decodeSharedBytes(m)).isLessThanOrEqualTo(AttentionConfig.MAX_DYNAMIC_SHARED_BYTES);
        assertThat(a.prefillSharedBytes(m)).isLessThanOrEqualTo(AttentionConfig.MAX_DYNAMIC_SHARED_BYTES);
    }

    @Test
    void splitsCoverTheWholeTable() {
        AttentionConfig a = new AttentionConfig(512, 16, 32);
        assertThat(a.splits(1, 16)).isEqualTo(1);
        assertThat(a.splits(32, 16)).isEqualTo(1);
        assertThat(a.splits(33, 16)).isEqualTo(2);
        assertThat(a.splits(8192, 16)).isEqualTo(256);
    }

    @Test
    void headsTooLargeForSharedMemoryAreRefused() {
        assertThatThrownBy(() -> AttentionConfig.choose(heads(64, 1, 1024)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("head dimension 1024");
    }
}
