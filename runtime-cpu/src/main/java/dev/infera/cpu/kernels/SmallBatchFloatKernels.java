package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.LE;
import static dev.infera.cpu.kernels.BlockBits.bf16Tail;
import static dev.infera.cpu.kernels.BlockBits.f16Tail;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}): products of F16 and BF16 weight rows with 2 to 5
 * activation rows at once, the float counterpart of {@link SmallBatchKernels} (same layout, same
 * contract). Each run of L weights is widened once and multiplied into every activation row's
 * accumulator; per row the arithmetic is exactly {@link FloatDotKernels}' batch-1 arithmetic (one
 * accumulator, {@code acc = fma(w, x, acc)} per L columns, one lane reduction, then the scalar tail of
 * the last {@code cols % L} columns added, the same {@code BlockBits} tail), so every output is bit for
 * bit its batch-1 result. The vector widening helpers are the batch-1 ones, repeated here because
 * their species must be each template's own constant.
 */
final class SmallBatchFloatKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));

    private SmallBatchFloatKernels() {
    }

    static void f16x2(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector v = halves(w, o + 2L * c);
                long at = 4L * c;
                a0 = v.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                a1 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, 0);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, xs);
        }
    }

    static void f16x3(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector v = halves(w, o + 2L * c);
                long at = 4L * c;
                a0 = v.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                a1 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
                a2 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs2, LE), a2);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, 0);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, xs);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, xs2);
        }
    }

    static void f16x4(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        long xs3 = 3 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector v = halves(w, o + 2L * c);
                long at = 4L * c;
                a0 = v.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                a1 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
                a2 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs2, LE), a2);
                a3 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs3, LE), a3);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, 0);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, xs);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, xs2);
            y[i + 3 * ys] = a3.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, xs3);
        }
    }

    static void f16x5(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
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
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector v = halves(w, o + 2L * c);
                long at = 4L * c;
                a0 = v.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                a1 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
                a2 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs2, LE), a2);
                a3 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs3, LE), a3);
                a4 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs4, LE), a4);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, 0);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, xs);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, xs2);
            y[i + 3 * ys] = a3.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, xs3);
            y[i + 4 * ys] = a4.reduceLanes(VectorOperators.ADD) + f16Tail(w, o, c, cols, x, xs4);
        }
    }

    static void bf16x2(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector v = brains(w, o + 2L * c);
                long at = 4L * c;
                a0 = v.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                a1 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, 0);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, xs);
        }
    }

    static void bf16x3(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector v = brains(w, o + 2L * c);
                long at = 4L * c;
                a0 = v.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                a1 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
                a2 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs2, LE), a2);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, 0);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, xs);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, xs2);
        }
    }

    static void bf16x4(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
            float[] y, int yo, int ys) {
        long xs2 = 2 * xs;
        long xs3 = 3 * xs;
        for (int r = first; r < end; r++) {
            long o = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector v = brains(w, o + 2L * c);
                long at = 4L * c;
                a0 = v.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                a1 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
                a2 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs2, LE), a2);
                a3 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs3, LE), a3);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, 0);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, xs);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, xs2);
            y[i + 3 * ys] = a3.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, xs3);
        }
    }

    static void bf16x5(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, long xs,
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
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector v = brains(w, o + 2L * c);
                long at = 4L * c;
                a0 = v.fma(FloatVector.fromMemorySegment(F, x, at, LE), a0);
                a1 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs, LE), a1);
                a2 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs2, LE), a2);
                a3 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs3, LE), a3);
                a4 = v.fma(FloatVector.fromMemorySegment(F, x, at + xs4, LE), a4);
            }
            int i = yo + r - first;
            y[i] = a0.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, 0);
            y[i + ys] = a1.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, xs);
            y[i + 2 * ys] = a2.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, xs2);
            y[i + 3 * ys] = a3.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, xs3);
            y[i + 4 * ys] = a4.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o, c, cols, x, xs4);
        }
    }

    /** L IEEE halves at off as floats, exactly as {@code FloatDotKernels} widens them. */
    private static FloatVector halves(MemorySegment w, long off) {
        ShortVector h = ShortVector.fromMemorySegment(S, w, off, LE);
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        IntVector magnitude = bits.and(0x7FFF);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector value = finite.blend(shifted.or(0x7F800000), magnitude.compare(VectorOperators.GE, 0x7C00))
                .or(bits.and(0x8000).lanewise(VectorOperators.LSHL, 16));
        return value.reinterpretAsFloats();
    }

    /** L bfloat16 values at off as floats (the top half of a float's bits). */
    private static FloatVector brains(MemorySegment w, long off) {
        ShortVector h = ShortVector.fromMemorySegment(S, w, off, LE);
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
