package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.quant.Quantize;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Seeded random weight matrices and activations for kernel tests and benchmarks. */
final class TestMatrices {

    private TestMatrices() {
    }

    static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    /**
     * A rows x cols matrix of {@code type}: Gaussian weights encoded with {@link Quantize} where it can
     * encode the type, otherwise random block bytes with sane scale fields.
     */
    static WeightMatrix random(GgmlType type, int rows, int cols, long seed) {
        Random random = new Random(seed);
        long rowBytes = type.byteSize(cols);
        byte[] bytes = new byte[Math.toIntExact(rowBytes * rows)];
        MemorySegment seg = MemorySegment.ofArray(bytes);
        if (Quantize.supports(type)) {
            for (int r = 0; r < rows; r++) {
                float[] row = gaussian(random, cols);
                Quantize.row(type, row, 0, cols, seg, r * rowBytes);
            }
        } else {
            random.nextBytes(bytes);
            fixScales(type, seg, random);
        }
        return new WeightMatrix(type, seg, rows, cols);
    }

    private static void fixScales(GgmlType type, MemorySegment seg, Random random) {
        ValueLayout.OfShort half = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        int bpb = type.bytesPerBlock();
        for (long at = 0; at < seg.byteSize(); at += bpb) {
            short d = Float.floatToFloat16(0.01f + random.nextFloat() * 0.02f);
            short m = Float.floatToFloat16(0.005f + random.nextFloat() * 0.01f);
            switch (type) {
                case Q2_K -> {
                    seg.set(half, at + 80, d);
                    seg.set(half, at + 82, m);
                }
                case Q3_K -> seg.set(half, at + 108, d);
                case Q8_K -> seg.set(f32, at, 0.01f + random.nextFloat() * 0.02f);
                default -> throw new IllegalArgumentException("no random layout for " + type);
            }
        }
    }
}
