package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.LE;
import static dev.infera.cpu.kernels.BlockBits.bytes;
import static dev.infera.cpu.kernels.BlockBits.head8;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}), 16-lane species only: products of Q8_0 weight rows with
 * 2 to 5 activation rows at once, for a few decode streams (batches of 6 to 10 run it in two parts).
 * Each 32-element block is decoded once in registers (two widened byte groups and the broadcast scale)
 * and multiplied into every activation row's accumulator, so the weights stream from memory once and
 * are decoded once per call, as at batch 1, instead of once per activation row.
 * {@link SmallBatchNibbleKernels} (Q4_0, Q4_1), {@link SmallBatchFiveBitKernels} (Q5_0, Q5_1),
 * {@link SmallBatchK45Kernels} (Q4_K, Q5_K), {@link SmallBatchK6Kernels} (Q6_K) and
 * {@link SmallBatchFloatKernels} (F16, BF16) do the same for their types.
 *
 * <p>Batch invariance. For each activation row the arithmetic is exactly the batch-1 kernel's
 * ({@link QuantDotKernels}): per block {@code t = lo * x0}, {@code t = fma(hi, x1, t)},
 * {@code acc = fma(t, d, acc)}, one accumulator per row, one lane reduction at the end. Every output
 * is therefore bit for bit the batch-1 result (as compiled by C2), whatever else is in the batch.
 *
 * <p>One entry point per batch size with straight-line accumulators: no loop over activation rows,
 * no accumulator chosen by a condition, and the per-row work written with Vector API calls only (no
 * helper of ours that takes or returns a vector per row; see docs/kernels.md, point 7). The decoded
 * block is two vectors plus the scale, each row adds two loads and three arithmetic operations. Weight
 * rows go one at a time (a single sequential stream); the activation rows supply the independent FMA
 * chains. Activation row {@code b} starts at byte {@code b * xs} of {@code x}; its outputs go to
 * {@code y[yo + b * ys + r - first]}. (These entry points are written out by a small generator and
 * differ only in the number of rows.)
 */
final class SmallBatchKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());

    private SmallBatchKernels() {
    }

    static void q8_0x2(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            for (int c = 0; c < cols; c += 32, o += 34) {
                long at = 4L * c;
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                FloatVector lo = (FloatVector) bytes(w, o + 2).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) bytes(w, o + 18).convertShape(VectorOperators.B2F, F, 0);
                a0 = hi.fma(FloatVector.fromMemorySegment(F, x, at + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at, LE))).fma(d, a0);
                a1 = hi.fma(FloatVector.fromMemorySegment(F, x, at + xs + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at + xs, LE))).fma(d, a1);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q8_0x3(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            for (int c = 0; c < cols; c += 32, o += 34) {
                long at = 4L * c;
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                FloatVector lo = (FloatVector) bytes(w, o + 2).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) bytes(w, o + 18).convertShape(VectorOperators.B2F, F, 0);
                a0 = hi.fma(FloatVector.fromMemorySegment(F, x, at + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at, LE))).fma(d, a0);
                a1 = hi.fma(FloatVector.fromMemorySegment(F, x, at + xs + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at + xs, LE))).fma(d, a1);
                a2 = hi.fma(FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at + xs2, LE))).fma(d, a2);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q8_0x4(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        long xs3 = 3 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int c = 0; c < cols; c += 32, o += 34) {
                long at = 4L * c;
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                FloatVector lo = (FloatVector) bytes(w, o + 2).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) bytes(w, o + 18).convertShape(VectorOperators.B2F, F, 0);
                a0 = hi.fma(FloatVector.fromMemorySegment(F, x, at + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at, LE))).fma(d, a0);
                a1 = hi.fma(FloatVector.fromMemorySegment(F, x, at + xs + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at + xs, LE))).fma(d, a1);
                a2 = hi.fma(FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at + xs2, LE))).fma(d, a2);
                a3 = hi.fma(FloatVector.fromMemorySegment(F, x, at + xs3 + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at + xs3, LE))).fma(d, a3);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
            y[i + 3 * ys] = a3.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q8_0x5(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
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
            for (int c = 0; c < cols; c += 32, o += 34) {
                long at = 4L * c;
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                FloatVector lo = (FloatVector) bytes(w, o + 2).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) bytes(w, o + 18).convertShape(VectorOperators.B2F, F, 0);
                a0 = hi.fma(FloatVector.fromMemorySegment(F, x, at + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at, LE))).fma(d, a0);
                a1 = hi.fma(FloatVector.fromMemorySegment(F, x, at + xs + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at + xs, LE))).fma(d, a1);
                a2 = hi.fma(FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at + xs2, LE))).fma(d, a2);
                a3 = hi.fma(FloatVector.fromMemorySegment(F, x, at + xs3 + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at + xs3, LE))).fma(d, a3);
                a4 = hi.fma(FloatVector.fromMemorySegment(F, x, at + xs4 + 64, LE),
                        lo.mul(FloatVector.fromMemorySegment(F, x, at + xs4, LE))).fma(d, a4);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
            y[i + 3 * ys] = a3.reduceLanes(VectorOperators.ADD);
            y[i + 4 * ys] = a4.reduceLanes(VectorOperators.ADD);
        }
    }
}
