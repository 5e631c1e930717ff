package dev.infera.cuda.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Scratch sizing: every buffer's bytes at a capacity, alignment, and growth. */
class ScratchLayoutTest {

    @Test
    void buffersAreSizedForTheCapacityAndAligned() {
        ModelShape m = Shapes.llama1b(WeightFormat.Q8_0);
        AttentionConfig a = AttentionConfig.choose(m);
        ScratchLayout s = ScratchLayout.of(m, a, new ScratchLayout.Capacity(256, 64, 4, 10_000), 64L << 20);
        assertThat(s.bytes(Buffer.X)).isEqualTo(256L * 2048 * 4);
        assertThat(s.bytes(Buffer.QKV)).isEqualTo(256L * 3072 * 4);
        assertThat(s.bytes(Buffer.GATE_UP)).isEqualTo(256L * 16384 * 4);
        assertThat(s.bytes(Buffer.GEMM_INPUT)).isEqualTo(256L * 8192 * 2);
        // the widest chunk: gate|up (16384 x 2048) in chunks of 64 MiB / 4096 B = 16384 rows
        assertThat(s.bytes(Buffer.DEQUANT)).isEqualTo(16384L * 2048 * 2);
        assertThat(s.bytes(Buffer.PART_OUT)).isEqualTo(256L * 32 * 4 * 64 * 4);
        assertThat(s.bytes(Buffer.PART_MAX)).isEqualTo(256L * 32 * 4 * 4);
        assertThat(s.bytes(Buffer.LOGITS)).isEqualTo(64L * 128256 * 4);
        assertThat(s.bytes(Buffer.META)).isEqualTo(40_000);
        long end = 0;
        for (Buffer b : Buffer.values()) {
            if (b == Buffer.KV_CACHE) {
                continue;
            }
            assertThat(s.offset(b) % WeightFormat.ALIGNMENT).as(b.name()).isZero();
            assertThat(s.offset(b)).as(b.name()).isGreaterThanOrEqualTo(end);
            end = s.offset(b) + s.bytes(b);
        }
        assertThat(s.totalBytes()).isGreaterThanOrEqualTo(end);
    }

    @Test
    void smallCapacitiesAndF32ModelsNeedNoGemmStaging() {
        ModelShape q8 = Shapes.llama1b(WeightFormat.Q8_0);
        ScratchLayout small = ScratchLayout.of(q8, AttentionConfig.choose(q8), new ScratchLayout.Capacity(8, 8, 1, 100), 1 << 26);
        assertThat(small.bytes(Buffer.GEMM_INPUT)).isZero();
        assertThat(small.bytes(Buffer.DEQUANT)).isZero();
        ModelShape f32 = Shapes.stories260k();
        ScratchLayout big = ScratchLayout.of(f32, AttentionConfig.choose(f32), new ScratchLayout.Capacity(512, 512, 1, 100), 1 << 26);
        assertThat(big.bytes(Buffer.GEMM_INPUT)).isZero();
        assertThat(big.bytes(Buffer.DEQUANT)).isZero();
    }

    @Test
    void capacityGrowsToPowersOfTwoOnlyWhereNeeded() {
        ScratchLayout.Capacity c = new ScratchLayout.Capacity(16, 16, 1, 1024);
        StepShape step = new StepShape(100, 3, 0, 9, 3, 40);
        assertThat(c.holds(step, 1, 1000)).isFalse();
        ScratchLayout.Capacity g = c.grownFor(step, 3, 5000);
        assertThat(g).isEqualTo(new ScratchLayout.Capacity(128, 16, 4, 8192));
        assertThat(g.holds(step, 3, 5000)).isTrue();
        assertThat(g.grownFor(step, 3, 5000)).isEqualTo(g);
        assertThat(c.grownFor(new StepShape(16, 1, 1, 0, 1, 1), 1, 1024)).isEqualTo(c);
    }

    @Test
    void dequantChunksAreWholeMultiplesOf64Rows() {
        assertThat(ScratchLayout.dequantChunkRows(2048, 64L << 20)).isEqualTo(16384);
        assertThat(ScratchLayout.dequantChunkRows(8192, 64L << 20)).isEqualTo(4096);
        assertThat(ScratchLayout.dequantChunkRows(3000, 1_000_000)).isEqualTo(128);
        assertThat(ScratchLayout.dequantChunkRows(1 << 20, 1024)).isEqualTo(64);
    }

    @Test
    void capacityMustBePositive() {
        assertThatThrownBy(() -> new ScratchLayout.Capacity(0, 1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
