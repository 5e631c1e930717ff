package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.LE;
import static dev.infera.cpu.kernels.BlockBits.bytes;
import static dev.infera.cpu.kernels.BlockBits.head8;
import static dev.infera.cpu.kernels.BlockBits.nibbles;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}), 16-lane species only: Q4_0 and Q4_1 weight rows with 2 to 5
 * activation rows at once, each block's nibbles widened once for all rows; layout and contract as in
 * {@link SmallBatchKernels}. Per row the arithmetic is the batch-1 kernel's ({@link QuantDotKernels}):
 * the unscaled products {@code t = fma(hi, x1, lo * x0)}, then Q4_0 {@code acc = fma(fma(x0 + x1, -8, t),
 * d, acc)}, Q4_1 {@code acc = fma(t, d, (x0 + x1) * m) + acc}, so outputs are bit for bit batch 1's.
 */
final class SmallBatchNibbleKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());

    private SmallBatchNibbleKernels() {
    }

    static void q4_0x2(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        FloatVector m8 = FloatVector.broadcast(F, -8f);
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            for (int c = 0; c < cols; c += 32, o += 18) {
                long at = 4L * c;
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                ByteVector q = bytes(w, o + 2);
                FloatVector lo = (FloatVector) nibbles(q, 0).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) nibbles(q, 4).convertShape(VectorOperators.B2F, F, 0);
                FloatVector u = FloatVector.fromMemorySegment(F, x, at, LE);
                FloatVector v = FloatVector.fromMemorySegment(F, x, at + 64, LE);
                a0 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a0);
                u = FloatVector.fromMemorySegment(F, x, at + xs, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs + 64, LE);
                a1 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a1);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q4_0x3(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        FloatVector m8 = FloatVector.broadcast(F, -8f);
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            for (int c = 0; c < cols; c += 32, o += 18) {
                long at = 4L * c;
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                ByteVector q = bytes(w, o + 2);
                FloatVector lo = (FloatVector) nibbles(q, 0).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) nibbles(q, 4).convertShape(VectorOperators.B2F, F, 0);
                FloatVector u = FloatVector.fromMemorySegment(F, x, at, LE);
                FloatVector v = FloatVector.fromMemorySegment(F, x, at + 64, LE);
                a0 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a0);
                u = FloatVector.fromMemorySegment(F, x, at + xs, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs + 64, LE);
                a1 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a1);
                u = FloatVector.fromMemorySegment(F, x, at + xs2, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE);
                a2 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a2);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q4_0x4(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        long xs3 = 3 * xs;
        FloatVector m8 = FloatVector.broadcast(F, -8f);
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int c = 0; c < cols; c += 32, o += 18) {
                long at = 4L * c;
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                ByteVector q = bytes(w, o + 2);
                FloatVector lo = (FloatVector) nibbles(q, 0).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) nibbles(q, 4).convertShape(VectorOperators.B2F, F, 0);
                FloatVector u = FloatVector.fromMemorySegment(F, x, at, LE);
                FloatVector v = FloatVector.fromMemorySegment(F, x, at + 64, LE);
                a0 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a0);
                u = FloatVector.fromMemorySegment(F, x, at + xs, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs + 64, LE);
                a1 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a1);
                u = FloatVector.fromMemorySegment(F, x, at + xs2, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE);
                a2 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a2);
                u = FloatVector.fromMemorySegment(F, x, at + xs3, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs3 + 64, LE);
                a3 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a3);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
            y[i + 3 * ys] = a3.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q4_0x5(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        long xs3 = 3 * xs;
        long xs4 = 4 * xs;
        FloatVector m8 = FloatVector.broadcast(F, -8f);
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector a4 = a0;
            for (int c = 0; c < cols; c += 32, o += 18) {
                long at = 4L * c;
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, o)));
                ByteVector q = bytes(w, o + 2);
                FloatVector lo = (FloatVector) nibbles(q, 0).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) nibbles(q, 4).convertShape(VectorOperators.B2F, F, 0);
                FloatVector u = FloatVector.fromMemorySegment(F, x, at, LE);
                FloatVector v = FloatVector.fromMemorySegment(F, x, at + 64, LE);
                a0 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a0);
                u = FloatVector.fromMemorySegment(F, x, at + xs, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs + 64, LE);
                a1 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a1);
                u = FloatVector.fromMemorySegment(F, x, at + xs2, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE);
                a2 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a2);
                u = FloatVector.fromMemorySegment(F, x, at + xs3, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs3 + 64, LE);
                a3 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a3);
                u = FloatVector.fromMemorySegment(F, x, at + xs4, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs4 + 64, LE);
                a4 = u.add(v).fma(m8, hi.fma(v, lo.mul(u))).fma(d, a4);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
            y[i + 3 * ys] = a3.reduceLanes(VectorOperators.ADD);
            y[i + 4 * ys] = a4.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q4_1x2(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            for (int c = 0; c < cols; c += 32, o += 20) {
                long at = 4L * c;
                long head = head8(w, o);
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head));
                FloatVector m = FloatVector.broadcast(F, Float.float16ToFloat((short) (head >>> 16)));
                ByteVector q = bytes(w, o + 4);
                FloatVector lo = (FloatVector) nibbles(q, 0).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) nibbles(q, 4).convertShape(VectorOperators.B2F, F, 0);
                FloatVector u = FloatVector.fromMemorySegment(F, x, at, LE);
                FloatVector v = FloatVector.fromMemorySegment(F, x, at + 64, LE);
                a0 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a0);
                u = FloatVector.fromMemorySegment(F, x, at + xs, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs + 64, LE);
                a1 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a1);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q4_1x3(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            for (int c = 0; c < cols; c += 32, o += 20) {
                long at = 4L * c;
                long head = head8(w, o);
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head));
                FloatVector m = FloatVector.broadcast(F, Float.float16ToFloat((short) (head >>> 16)));
                ByteVector q = bytes(w, o + 4);
                FloatVector lo = (FloatVector) nibbles(q, 0).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) nibbles(q, 4).convertShape(VectorOperators.B2F, F, 0);
                FloatVector u = FloatVector.fromMemorySegment(F, x, at, LE);
                FloatVector v = FloatVector.fromMemorySegment(F, x, at + 64, LE);
                a0 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a0);
                u = FloatVector.fromMemorySegment(F, x, at + xs, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs + 64, LE);
                a1 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a1);
                u = FloatVector.fromMemorySegment(F, x, at + xs2, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE);
                a2 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a2);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q4_1x4(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        long xs3 = 3 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int c = 0; c < cols; c += 32, o += 20) {
                long at = 4L * c;
                long head = head8(w, o);
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head));
                FloatVector m = FloatVector.broadcast(F, Float.float16ToFloat((short) (head >>> 16)));
                ByteVector q = bytes(w, o + 4);
                FloatVector lo = (FloatVector) nibbles(q, 0).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) nibbles(q, 4).convertShape(VectorOperators.B2F, F, 0);
                FloatVector u = FloatVector.fromMemorySegment(F, x, at, LE);
                FloatVector v = FloatVector.fromMemorySegment(F, x, at + 64, LE);
                a0 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a0);
                u = FloatVector.fromMemorySegment(F, x, at + xs, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs + 64, LE);
                a1 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a1);
                u = FloatVector.fromMemorySegment(F, x, at + xs2, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE);
                a2 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a2);
                u = FloatVector.fromMemorySegment(F, x, at + xs3, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs3 + 64, LE);
                a3 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a3);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
            y[i + 3 * ys] = a3.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q4_1x5(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
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
            for (int c = 0; c < cols; c += 32, o += 20) {
                long at = 4L * c;
                long head = head8(w, o);
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) head));
                FloatVector m = FloatVector.broadcast(F, Float.float16ToFloat((short) (head >>> 16)));
                ByteVector q = bytes(w, o + 4);
                FloatVector lo = (FloatVector) nibbles(q, 0).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) nibbles(q, 4).convertShape(VectorOperators.B2F, F, 0);
                FloatVector u = FloatVector.fromMemorySegment(F, x, at, LE);
                FloatVector v = FloatVector.fromMemorySegment(F, x, at + 64, LE);
                a0 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a0);
                u = FloatVector.fromMemorySegment(F, x, at + xs, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs + 64, LE);
                a1 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a1);
                u = FloatVector.fromMemorySegment(F, x, at + xs2, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs2 + 64, LE);
                a2 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a2);
                u = FloatVector.fromMemorySegment(F, x, at + xs3, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs3 + 64, LE);
                a3 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a3);
                u = FloatVector.fromMemorySegment(F, x, at + xs4, LE);
                v = FloatVector.fromMemorySegment(F, x, at + xs4 + 64, LE);
                a4 = hi.fma(v, lo.mul(u)).fma(d, u.add(v).mul(m)).add(a4);
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
