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
 * 2 to 5 activation rows at once, for the batches below the broadcast tiles (a few decode streams).
 * Each 32-element block is decoded once in registers (two widened byte groups and the broadcast scale)
 * and multiplied into every activation row's accumulator, so the weights stream from memory once and
 * are decoded once per call, as at batch 1, instead of once per activation row.
 *
 * <p>Batch invariance. For each activation row the arithmetic is exactly the batch-1 kernel's
 * ({@link QuantDotKernels}): per block {@code t = lo * x0}, {@code t = fma(hi, x1, t)},
 * {@code acc = fma(t, d, acc)}, one accumulator per row, one lane reduction at the end. Every output
 * is therefore bit for bit the batch-1 result, whatever else is in the batch.
 *
 * <p>One entry point per batch size with straight-line accumulators: no loop over activation rows,
 * no accumulator chosen by a condition, no helper that carries a vector (see docs/kernels.md, point
 * 7). The decoded block is two vectors plus the scale, and each row adds two loads and three
 * arithmetic operations, so five rows stay well inside C2's inlining budget. Weight rows go one at a
 * time (a single sequential stream); the activation rows supply the independent FMA chains.
 * Activation row {@code b} starts at byte {@code b * xs} of {@code x}; its outputs go to
 * {@code y[yo + b * ys + r - first]}.
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
            for (long at = 0; at < 4L * cols; at += 128, o += 34) {
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                FloatVector lo = (FloatVector) bytes(w, o + 2).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) bytes(w, o + 18).convertShape(VectorOperators.B2F, F, 0);
                a0 = hi.fma(load(x, at + 64), lo.mul(load(x, at))).fma(d, a0);
                a1 = hi.fma(load(x, at + xs + 64), lo.mul(load(x, at + xs))).fma(d, a1);
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
            for (long at = 0; at < 4L * cols; at += 128, o += 34) {
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                FloatVector lo = (FloatVector) bytes(w, o + 2).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) bytes(w, o + 18).convertShape(VectorOperators.B2F, F, 0);
                a0 = hi.fma(load(x, at + 64), lo.mul(load(x, at))).fma(d, a0);
                a1 = hi.fma(load(x, at + xs + 64), lo.mul(load(x, at + xs))).fma(d, a1);
                a2 = hi.fma(load(x, at + xs2 + 64), lo.mul(load(x, at + xs2))).fma(d, a2);
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
            for (long at = 0; at < 4L * cols; at += 128, o += 34) {
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                FloatVector lo = (FloatVector) bytes(w, o + 2).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) bytes(w, o + 18).convertShape(VectorOperators.B2F, F, 0);
                a0 = hi.fma(load(x, at + 64), lo.mul(load(x, at))).fma(d, a0);
                a1 = hi.fma(load(x, at + xs + 64), lo.mul(load(x, at + xs))).fma(d, a1);
                a2 = hi.fma(load(x, at + xs2 + 64), lo.mul(load(x, at + xs2))).fma(d, a2);
                a3 = hi.fma(load(x, at + xs3 + 64), lo.mul(load(x, at + xs3))).fma(d, a3);
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
            for (long at = 0; at < 4L * cols; at += 128, o += 34) {
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                FloatVector lo = (FloatVector) bytes(w, o + 2).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) bytes(w, o + 18).convertShape(VectorOperators.B2F, F, 0);
                a0 = hi.fma(load(x, at + 64), lo.mul(load(x, at))).fma(d, a0);
                a1 = hi.fma(load(x, at + xs + 64), lo.mul(load(x, at + xs))).fma(d, a1);
                a2 = hi.fma(load(x, at + xs2 + 64), lo.mul(load(x, at + xs2))).fma(d, a2);
                a3 = hi.fma(load(x, at + xs3 + 64), lo.mul(load(x, at + xs3))).fma(d, a3);
                a4 = hi.fma(load(x, at + xs4 + 64), lo.mul(load(x, at + xs4))).fma(d, a4);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
            y[i + 3 * ys] = a3.reduceLanes(VectorOperators.ADD);
            y[i + 4 * ys] = a4.reduceLanes(VectorOperators.ADD);
        }
    }

    private static FloatVector load(MemorySegment x, long at) {
        return FloatVector.fromMemorySegment(F, x, at, LE);
    }
}
