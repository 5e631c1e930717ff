package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.LE;
import static dev.infera.cpu.kernels.BlockBits.bytes;
import static dev.infera.cpu.kernels.BlockBits.f16;
import static dev.infera.cpu.kernels.BlockBits.nibbles;
import static dev.infera.cpu.kernels.BlockBits.s8;
import static dev.infera.cpu.kernels.BlockBits.twoBitsToFour;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}), 16-lane species only: Q6_K weight rows with 2 to 5
 * activation rows at once; layout and contract as in {@link SmallBatchKernels}. Each slice pair of a
 * super-block is turned into weights once ({@code g = fma(q, d * sc, -32 d * sc)}) and multiplied into
 * every activation row's two accumulators (slices alternating), exactly as {@link KQuantDotKernels}
 * does for one row, so outputs are bit for bit batch 1's.
 */
final class SmallBatchK6Kernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());

    private SmallBatchK6Kernels() {
    }

    static void q6_Kx2(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            for (int c = 0; c < cols; c += 256, o += 210) {
                float d = f16(w, o + 208);
                for (int p = 0; p < 8; p++) {
                    int quarter = p & 3;
                    long ql = o + 64 * (p >> 2) + 32 * (quarter & 1);
                    long qh = o + 128 + 32 * (p >> 2);
                    int nibbleShift = 4 * (quarter >> 1);
                    ByteVector q0 = nibbles(bytes(w, ql), nibbleShift).or(twoBitsToFour(bytes(w, qh), 2 * quarter));
                    ByteVector q1 = nibbles(bytes(w, ql + 16), nibbleShift).or(twoBitsToFour(bytes(w, qh + 16), 2 * quarter));
                    float sc0 = d * s8(w, o + 192 + 2 * p);
                    float sc1 = d * s8(w, o + 193 + 2 * p);
                    FloatVector g0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, 0))
                            .fma(FloatVector.broadcast(F, sc0), FloatVector.broadcast(F, -32 * sc0));
                    FloatVector g1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0))
                            .fma(FloatVector.broadcast(F, sc1), FloatVector.broadcast(F, -32 * sc1));
                    long at = 4L * (c + 32 * p);
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

    static void q6_Kx3(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            for (int c = 0; c < cols; c += 256, o += 210) {
                float d = f16(w, o + 208);
                for (int p = 0; p < 8; p++) {
                    int quarter = p & 3;
                    long ql = o + 64 * (p >> 2) + 32 * (quarter & 1);
                    long qh = o + 128 + 32 * (p >> 2);
                    int nibbleShift = 4 * (quarter >> 1);
                    ByteVector q0 = nibbles(bytes(w, ql), nibbleShift).or(twoBitsToFour(bytes(w, qh), 2 * quarter));
                    ByteVector q1 = nibbles(bytes(w, ql + 16), nibbleShift).or(twoBitsToFour(bytes(w, qh + 16), 2 * quarter));
                    float sc0 = d * s8(w, o + 192 + 2 * p);
                    float sc1 = d * s8(w, o + 193 + 2 * p);
                    FloatVector g0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, 0))
                            .fma(FloatVector.broadcast(F, sc0), FloatVector.broadcast(F, -32 * sc0));
                    FloatVector g1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0))
                            .fma(FloatVector.broadcast(F, sc1), FloatVector.broadcast(F, -32 * sc1));
                    long at = 4L * (c + 32 * p);
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

    static void q6_Kx4(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
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
            for (int c = 0; c < cols; c += 256, o += 210) {
                float d = f16(w, o + 208);
                for (int p = 0; p < 8; p++) {
                    int quarter = p & 3;
                    long ql = o + 64 * (p >> 2) + 32 * (quarter & 1);
                    long qh = o + 128 + 32 * (p >> 2);
                    int nibbleShift = 4 * (quarter >> 1);
                    ByteVector q0 = nibbles(bytes(w, ql), nibbleShift).or(twoBitsToFour(bytes(w, qh), 2 * quarter));
                    ByteVector q1 = nibbles(bytes(w, ql + 16), nibbleShift).or(twoBitsToFour(bytes(w, qh + 16), 2 * quarter));
                    float sc0 = d * s8(w, o + 192 + 2 * p);
                    float sc1 = d * s8(w, o + 193 + 2 * p);
                    FloatVector g0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, 0))
                            .fma(FloatVector.broadcast(F, sc0), FloatVector.broadcast(F, -32 * sc0));
                    FloatVector g1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0))
                            .fma(FloatVector.broadcast(F, sc1), FloatVector.broadcast(F, -32 * sc1));
                    long at = 4L * (c + 32 * p);
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

    static void q6_Kx5(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
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
            for (int c = 0; c < cols; c += 256, o += 210) {
                float d = f16(w, o + 208);
                for (int p = 0; p < 8; p++) {
                    int quarter = p & 3;
                    long ql = o + 64 * (p >> 2) + 32 * (quarter & 1);
                    long qh = o + 128 + 32 * (p >> 2);
                    int nibbleShift = 4 * (quarter >> 1);
                    ByteVector q0 = nibbles(bytes(w, ql), nibbleShift).or(twoBitsToFour(bytes(w, qh), 2 * quarter));
                    ByteVector q1 = nibbles(bytes(w, ql + 16), nibbleShift).or(twoBitsToFour(bytes(w, qh + 16), 2 * quarter));
                    float sc0 = d * s8(w, o + 192 + 2 * p);
                    float sc1 = d * s8(w, o + 193 + 2 * p);
                    FloatVector g0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, 0))
                            .fma(FloatVector.broadcast(F, sc0), FloatVector.broadcast(F, -32 * sc0));
                    FloatVector g1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0))
                            .fma(FloatVector.broadcast(F, sc1), FloatVector.broadcast(F, -32 * sc1));
                    long at = 4L * (c + 32 * p);
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
