package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.core.model.ModelArchitecture;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.RopeScaling;
import org.junit.jupiter.api.Test;

class ForwardScratchTest {

    /** A wide model (4096-float rows, 14336-float FFN rows), as the buffers see it. */
    private static final ModelConfig WIDE = new ModelConfig(ModelArchitecture.LLAMA, 4096, 1, 32, 8, 128, 14336, 1000,
            1e-5f, 10000f, 128, RopeScaling.NONE, 8192);

    @Test
    void growsRowsToPowersOfTwo() {
        ForwardScratch s = new ForwardScratch(WIDE, 1, true, true, true);
        s.ensure(3, 1);
        assertThat(s.tokenCapacity).isEqualTo(4);
        assertThat(s.x).hasSize(4 * 4096);
        assertThat(s.gate).hasSize(4 * 14336);
        assertThat(s.gateUp).hasSize(4 * 2 * 14336);
        assertThat(s.qkv).hasSize(4 * (4096 + 2 * 1024));
    }

    @Test
    void buffersOfLayoutsNoLayerUsesStayEmpty() {
        ForwardScratch s = new ForwardScratch(WIDE, 1, false, true, false);
        s.ensure(2, 1);
        assertThat(s.qkv).isEmpty();
        assertThat(s.gate).isEmpty();
        assertThat(s.up).isEmpty();
        assertThat(s.gateUp).hasSize(2 * 2 * 14336);
    }

    @Test
    void attentionScratchGrowsForEveryWorkerAndNeverShrinks() {
        ForwardScratch s = new ForwardScratch(WIDE, 2, true, true, true);
        s.ensureScores(100);
        assertThat(s.scores[0]).hasSize(128);
        assertThat(s.scores[1]).hasSize(128);
        s.ensureScores(50);
        assertThat(s.scores[1]).hasSize(128);
        s.ensureScores(129);
        assertThat(s.scores[0]).hasSize(256);
    }

    @Test
    void aStepTooLargeForJavaArraysFailsClearlyInsteadOfWrapping() {
        ForwardScratch s = new ForwardScratch(WIDE, 1, true, true, true);
        // 2^20 rows x 4096 = 2^32 floats: an int product wraps to 0 and would allocate empty buffers.
        assertThatThrownBy(() -> s.ensure(1 << 20, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1048576 x 4096 = 4294967296 floats")
                .hasMessageContaining("lower maxBatchTokens");
        assertThat(s.tokenCapacity).isZero();
    }
}
