package dev.infera.core.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class QuantizeRoundTripTest {

    /** Normalised RMS error (rms(decoded - x) / rms(x)) each type must stay under on Gaussian data. */
    static double rmsBound(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 5e-4;
            case BF16 -> 4e-3;
            // uniform rounding error is step / sqrt(12); the step is the block's range over its levels
            case Q8_0 -> 0.007;
            case Q6_K -> 0.025; // at tiny scales the f16 super-block scale goes subnormal
            case Q5_0, Q5_1, Q5_K -> 0.05;
            case Q4_0, Q4_1, Q4_K -> 0.1;
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    static float[] gaussian(long seed, int n, float scale) {
        Random random = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian() * scale;
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class,
            names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void roundTripErrorIsWithinTheTypesBound(GgmlType type) {
        for (int trial = 0; trial < 4; trial++) {
            float scale = new float[] {1f, 0.02f, 30f, 1e-3f}[trial];
            int n = 256 * (1 + trial);
            float[] x = gaussian(1234 + trial, n, scale);
            byte[] bytes = Quantize.toBytes(type, x);
            assertThat((long) bytes.length).isEqualTo(type.byteSize(n));
            float[] back = Dequantize.all(type, MemorySegment.ofArray(bytes), n);
            double err = 0;
            double ref = 0;
            for (int i = 0; i < n; i++) {
                err += (back[i] - x[i]) * (double) (back[i] - x[i]);
                ref += x[i] * (double) x[i];
            }
            assertThat(Math.sqrt(err / ref)).as("%s scale %s", type, scale).isLessThanOrEqualTo(rmsBound(type));
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q5_0"})
    void symmetricTypesBoundEveryElementByHalfAStepOrOneStepAtTheClippedEnd(GgmlType type) {
        int levels = switch (type) {
            case Q8_0 -> 127;
            case Q4_0 -> 8;
            default -> 16;
        };
        float[] x = gaussian(99, 32 * 64, 1f);
        float[] back = Dequantize.all(type, MemorySegment.ofArray(Quantize.toBytes(type, x)), x.length);
        for (int b = 0; b < 64; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[32 * b + j]));
            }
            float step = amax / levels;
            float allowed = type == GgmlType.Q8_0 ? 0.5f * step * 1.1f : step * 1.05f;
            for (int j = 0; j < 32; j++) {
                assertThat(Math.abs(back[32 * b + j] - x[32 * b + j])).isLessThanOrEqualTo(allowed);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void allZeroBlocksDecodeToZero(GgmlType type) {
        float[] x = new float[256];
        float[] back = Dequantize.all(type, MemorySegment.ofArray(Quantize.toBytes(type, x)), x.length);
        for (float v : back) {
            assertThat(v).isEqualTo(0f, org.assertj.core.data.Offset.offset(0f));
        }
    }

    @Test
    void streamingIntoAnOffsetOfALargerSegmentWritesOnlyThatRange() {
        float[] x = gaussian(5, 512, 1f);
        byte[] whole = Quantize.toBytes(GgmlType.Q4_K, x);
        byte[] big = new byte[whole.length + 10];
        MemorySegment seg = MemorySegment.ofArray(big);
        int rowBytes = (int) GgmlType.Q4_K.byteSize(256);
        Quantize.row(GgmlType.Q4_K, x, 0, 256, seg, 5);
        Quantize.row(GgmlType.Q4_K, x, 256, 256, seg, 5 + rowBytes);
        for (int i = 0; i < whole.length; i++) {
            assertThat(big[5 + i]).isEqualTo(whole[i]);
        }
        assertThat(big[0]).isZero();
        assertThat(big[big.length - 1]).isZero();
    }

    @Test
    void badArgumentsAreRejectedWithAMessage() {
        float[] x = new float[64];
        assertThatThrownBy(() -> Quantize.toBytes(GgmlType.Q8_0, x, 0, 33))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block size 32");
        assertThatThrownBy(() -> Quantize.toBytes(GgmlType.IQ2_XS, x, 0, 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IQ2_XS");
        MemorySegment small = MemorySegment.ofArray(new byte[10]);
        assertThatThrownBy(() -> Quantize.row(GgmlType.Q8_0, x, 0, 32, small, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("runs past the end");
        assertThatThrownBy(() -> Dequantize.row(GgmlType.Q8_0, small, 0, new float[32], 0, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("runs past the end");
        assertThatThrownBy(() -> Dequantize.row(GgmlType.IQ4_NL, small, 0, new float[32], 0, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IQ4_NL");
    }
}
