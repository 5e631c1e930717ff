package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.INT_LE;
import static dev.infera.cpu.kernels.BlockBits.LE;
import static dev.infera.cpu.kernels.BlockBits.bytes;
import static dev.infera.cpu.kernels.BlockBits.f16;
import static dev.infera.cpu.kernels.BlockBits.nibbles;
import static dev.infera.cpu.kernels.BlockBits.scaleMinK;
import static dev.infera.cpu.kernels.BlockBits.withFifthBit;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}), 16-lane species only: Q4_K and Q5_K weight rows with 2 to 5
 * activation rows at once; layout and contract as in {@link SmallBatchKernels}. Each sub-block's scale
 * and minimum are unpacked and its two 16-element groups turned into weights once
 * ({@code g = fma(q, d * sc, -dmin * m)}), then multiplied into every activation row's two accumulators
 * (groups alternating), exactly as {@link KQuantDotKernels} does for one row, so outputs are bit for bit
 * batch 1's; the per-sub-block scalar work that bounds the batch-1 walker is paid once per call. Q4_K
 * and Q5_K share one walker per batch size with a constant {@code five} flag, as at batch 1.
 */
final class SmallBatchK45Kernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());

    private SmallBatchK45Kernels() {
    }

    static void q4_Kx2(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        q45_Kx2(false, w, rowBytes, cols, first, end, x, xs, y, yo, ys);
    }

    static void q4_Kx3(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        q45_Kx3(false, w, rowBytes, cols, first, end, x, xs, y, yo, ys);
    }

    static void q4_Kx4(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        q45_Kx4(false, w, rowBytes, cols, first, end, x, xs, y, yo, ys);
    }

    static void q4_Kx5(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        q45_Kx5(false, w, rowBytes, cols, first, end, x, xs, y, yo, ys);
    }

    static void q5_Kx2(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        q45_Kx2(true, w, rowBytes, cols, first, end, x, xs, y, yo, ys);
    }

    static void q5_Kx3(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        q45_Kx3(true, w, rowBytes, cols, first, end, x, xs, y, yo, ys);
    }

    static void q5_Kx4(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        q45_Kx4(true, w, rowBytes, cols, first, end, x, xs, y, yo, ys);
    }

    static void q5_Kx5(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        q45_Kx5(true, w, rowBytes, cols, first, end, x, xs, y, yo, ys);
    }
    private static void q45_Kx2(boolean five, MemorySegment w, long rowBytes, int cols, int first, int end,
            MemorySegment x, long xs, float[] y, int yo, int ys) {
        int blockBytes = five ? 176 : 144;
        long qsAt = five ? 48 : 16;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            for (int c = 0; c < cols; c += 256, o += blockBytes) {
                float d = f16(w, o);
                float dmin = f16(w, o + 2);
                int s0 = w.get(INT_LE, o + 4);
                int s1 = w.get(INT_LE, o + 8);
                int s2 = w.get(INT_LE, o + 12);
                ByteVector h0 = bytes(w, o + 16);
                ByteVector h1 = bytes(w, o + 32);
                for (int j = 0; j < 8; j++) {
                    int sm = scaleMinK(s0, s1, s2, j);
                    FloatVector scale = FloatVector.broadcast(F, d * (sm & 0xFF));
                    FloatVector offset = FloatVector.broadcast(F, -(dmin * (sm >>> 8)));
                    long q = o + qsAt + 32 * (j >> 1);
                    ByteVector q0 = nibbles(bytes(w, q), 4 * (j & 1));
                    ByteVector q1 = nibbles(bytes(w, q + 16), 4 * (j & 1));
                    if (five) {
                        q0 = withFifthBit(q0, h0, j);
                        q1 = withFifthBit(q1, h1, j);
                    }
                    FloatVector g0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, 0)).fma(scale, offset);
                    FloatVector g1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).fma(scale, offset);
                    long at = 4L * (c + 32 * j);
                    a0 = g0.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                    b0 = g1.fma(FloatVector.fromMemorySegment(F, x, at + 64, LE), b0);
                    a1 = g0.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
                    b1 = g1.fma(FloatVector.fromMemorySegment(F, x, at + xs + 64, LE), b1);
                }
            }
            int i = yo + r - first;
            y[i] = a0.add(b0).reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.add(b1).reduceLanes(VectorOperators.ADD);
        }
    }

    private static void q45_Kx3(boolean five, MemorySegment w, long rowBytes, int cols, int first, int end,
            MemorySegment x, long xs, float[] y, int yo, int ys) {
        int blockBytes = five ? 176 : 144;
        long qsAt = five ? 48 : 16;
        long xs2 = 2 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            for (int c = 0; c < cols; c += 256, o += blockBytes) {
                float d = f16(w, o);
                float dmin = f16(w, o + 2);
                int s0 = w.get(INT_LE, o + 4);
                int s1 = w.get(INT_LE, o + 8);
                int s2 = w.get(INT_LE, o + 12);
                ByteVector h0 = bytes(w, o + 16);
                ByteVector h1 = bytes(w, o + 32);
                for (int j = 0; j < 8; j++) {
                    int sm = scaleMinK(s0, s1, s2, j);
                    FloatVector scale = FloatVector.broadcast(F, d * (sm & 0xFF));
                    FloatVector offset = FloatVector.broadcast(F, -(dmin * (sm >>> 8)));
                    long q = o + qsAt + 32 * (j >> 1);
                    ByteVector q0 = nibbles(bytes(w, q), 4 * (j & 1));
                    ByteVector q1 = nibbles(bytes(w, q + 16), 4 * (j & 1));
                    if (five) {
                        q0 = withFifthBit(q0, h0, j);
                        q1 = withFifthBit(q1, h1, j);
                    }
                    FloatVector g0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, 0)).fma(scale, offset);
                    FloatVector g1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).fma(scale, offset);
                    long at = 4L * (c + 32 * j);
                    a0 = g0.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                    b0 = g1.fma(FloatVector.fromMemorySegment(F, x, at + 64, LE), b0);
                    a1 = g0.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
                    b1 = g1.fma(FloatVector.fromMemorySegment(F, x, at + xs + 64, LE), b1);
                    a2 = g0.fma(FloatVector.fromMemorySegment(F, x, at + xs2, LE), a2);
                    b2 = g1.fma(FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE), b2);
                }
            }
            int i = yo + r - first;
            y[i] = a0.add(b0).reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.add(b1).reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.add(b2).reduceLanes(VectorOperators.ADD);
        }
    }

    private static void q45_Kx4(boolean five, MemorySegment w, long rowBytes, int cols, int first, int end,
            MemorySegment x, long xs, float[] y, int yo, int ys) {
        int blockBytes = five ? 176 : 144;
        long qsAt = five ? 48 : 16;
        long xs2 = 2 * xs;
        long xs3 = 3 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            FloatVector b3 = a0;
            for (int c = 0; c < cols; c += 256, o += blockBytes) {
                float d = f16(w, o);
                float dmin = f16(w, o + 2);
                int s0 = w.get(INT_LE, o + 4);
                int s1 = w.get(INT_LE, o + 8);
                int s2 = w.get(INT_LE, o + 12);
                ByteVector h0 = bytes(w, o + 16);
                ByteVector h1 = bytes(w, o + 32);
                for (int j = 0; j < 8; j++) {
                    int sm = scaleMinK(s0, s1, s2, j);
                    FloatVector scale = FloatVector.broadcast(F, d * (sm & 0xFF));
                    FloatVector offset = FloatVector.broadcast(F, -(dmin * (sm >>> 8)));
                    long q = o + qsAt + 32 * (j >> 1);
                    ByteVector q0 = nibbles(bytes(w, q), 4 * (j & 1));
                    ByteVector q1 = nibbles(bytes(w, q + 16), 4 * (j & 1));
                    if (five) {
                        q0 = withFifthBit(q0, h0, j);
                        q1 = withFifthBit(q1, h1, j);
                    }
                    FloatVector g0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, 0)).fma(scale, offset);
                    FloatVector g1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).fma(scale, offset);
                    long at = 4L * (c + 32 * j);
                    a0 = g0.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                    b0 = g1.fma(FloatVector.fromMemorySegment(F, x, at + 64, LE), b0);
                    a1 = g0.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
                    b1 = g1.fma(FloatVector.fromMemorySegment(F, x, at + xs + 64, LE), b1);
                    a2 = g0.fma(FloatVector.fromMemorySegment(F, x, at + xs2, LE), a2);
                    b2 = g1.fma(FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE), b2);
                    a3 = g0.fma(FloatVector.fromMemorySegment(F, x, at + xs3, LE), a3);
                    b3 = g1.fma(FloatVector.fromMemorySegment(F, x, at + xs3 + 64, LE), b3);
                }
            }
            int i = yo + r - first;
            y[i] = a0.add(b0).reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.add(b1).reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.add(b2).reduceLanes(VectorOperators.ADD);
            y[i + 3 * ys] = a3.add(b3).reduceLanes(VectorOperators.ADD);
        }
    }

    private static void q45_Kx5(boolean five, MemorySegment w, long rowBytes, int cols, int first, int end,
            MemorySegment x, long xs, float[] y, int yo, int ys) {
        int blockBytes = five ? 176 : 144;
        long qsAt = five ? 48 : 16;
        long xs2 = 2 * xs;
        long xs3 = 3 * xs;
        long xs4 = 4 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector a4 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            FloatVector b3 = a0;
            FloatVector b4 = a0;
            for (int c = 0; c < cols; c += 256, o += blockBytes) {
                float d = f16(w, o);
                float dmin = f16(w, o + 2);
                int s0 = w.get(INT_LE, o + 4);
                int s1 = w.get(INT_LE, o + 8);
                int s2 = w.get(INT_LE, o + 12);
                ByteVector h0 = bytes(w, o + 16);
                ByteVector h1 = bytes(w, o + 32);
                for (int j = 0; j < 8; j++) {
                    int sm = scaleMinK(s0, s1, s2, j);
                    FloatVector scale = FloatVector.broadcast(F, d * (sm & 0xFF));
                    FloatVector offset = FloatVector.broadcast(F, -(dmin * (sm >>> 8)));
                    long q = o + qsAt + 32 * (j >> 1);
                    ByteVector q0 = nibbles(bytes(w, q), 4 * (j & 1));
                    ByteVector q1 = nibbles(bytes(w, q + 16), 4 * (j & 1));
                    if (five) {
                        q0 = withFifthBit(q0, h0, j);
                        q1 = withFifthBit(q1, h1, j);
                    }
                    FloatVector g0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, 0)).fma(scale, offset);
                    FloatVector g1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).fma(scale, offset);
                    long at = 4L * (c + 32 * j);
                    a0 = g0.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                    b0 = g1.fma(FloatVector.fromMemorySegment(F, x, at + 64, LE), b0);
                    a1 = g0.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
                    b1 = g1.fma(FloatVector.fromMemorySegment(F, x, at + xs + 64, LE), b1);
                    a2 = g0.fma(FloatVector.fromMemorySegment(F, x, at + xs2, LE), a2);
                    b2 = g1.fma(FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE), b2);
                    a3 = g0.fma(FloatVector.fromMemorySegment(F, x, at + xs3, LE), a3);
                    b3 = g1.fma(FloatVector.fromMemorySegment(F, x, at + xs3 + 64, LE), b3);
                    a4 = g0.fma(FloatVector.fromMemorySegment(F, x, at + xs4, LE), a4);
                    b4 = g1.fma(FloatVector.fromMemorySegment(F, x, at + xs4 + 64, LE), b4);
                }
            }
            int i = yo + r - first;
            y[i] = a0.add(b0).reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.add(b1).reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.add(b2).reduceLanes(VectorOperators.ADD);
            y[i + 3 * ys] = a3.add(b3).reduceLanes(VectorOperators.ADD);
            y[i + 4 * ys] = a4.add(b4).reduceLanes(VectorOperators.ADD);
        }
    }
}
