package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.FLOAT_LE;
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
 * Template (see {@link SpeciesSpecializer}): batch-1 products of F32, F16 and BF16 weight rows with
 * one activation row. Same row-pair scheme as {@link QuantDotKernels} (rows {@code first + i} and
 * {@code first + half + i} share each activation load, one accumulator each, an odd last row through
 * the single-row method with identical arithmetic); per L columns the weights are loaded (F32) or
 * widened from 16-bit lanes (F16 by exact bit arithmetic, BF16 by a shift), and the last
 * {@code cols % L} columns of a row are summed in scalar code because weight rows are not padded.
 */
final class FloatDotKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));

    /** Per thread: two widened F16 rows ({@link #f16Widened}, below 16 lanes). */
    private static final ThreadLocal<float[]> WIDENED = new ThreadLocal<>();

    private FloatDotKernels() {
    }

    // Entry points looked up by name (see RowKernels). Pair loops write y[yo + i] and
    // y[yo + half + i] for rows first + i and first + half + i.

    static void f32Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        int half = (end - first) >> 1;
        long gap = half * rowBytes;
        for (int i = 0; i < half; i++) {
            long o0 = (first + i) * rowBytes;
            long o1 = o0 + gap;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector xv = load(x, 4L * c);
                a0 = FloatVector.fromMemorySegment(F, w, o0 + 4L * c, LE).fma(xv, a0);
                a1 = FloatVector.fromMemorySegment(F, w, o1 + 4L * c, LE).fma(xv, a1);
            }
            y[yo + i] = a0.reduceLanes(VectorOperators.ADD) + f32Tail(w, o0, c, cols, x);
            y[yo + half + i] = a1.reduceLanes(VectorOperators.ADD) + f32Tail(w, o1, c, cols, x);
        }
        if (first + 2 * half < end) {
            y[yo + end - 1 - first] = f32Row(w, (end - 1) * rowBytes, cols, x);
        }
    }

    static void f16Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        if (L < 16) {
            f16Widened(w, rowBytes, cols, first, end, x, y, yo);
            return;
        }
        int half = (end - first) >> 1;
        long gap = half * rowBytes;
        for (int i = 0; i < half; i++) {
            long o0 = (first + i) * rowBytes;
            long o1 = o0 + gap;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector xv = load(x, 4L * c);
                a0 = halves(w, o0 + 2L * c).fma(xv, a0);
                a1 = halves(w, o1 + 2L * c).fma(xv, a1);
            }
            y[yo + i] = a0.reduceLanes(VectorOperators.ADD) + f16Tail(w, o0, c, cols, x, 0);
            y[yo + half + i] = a1.reduceLanes(VectorOperators.ADD) + f16Tail(w, o1, c, cols, x, 0);
        }
        if (first + 2 * half < end) {
            y[yo + end - 1 - first] = f16Row(w, (end - 1) * rowBytes, cols, x);
        }
    }

    static void bf16Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        int half = (end - first) >> 1;
        long gap = half * rowBytes;
        for (int i = 0; i < half; i++) {
            long o0 = (first + i) * rowBytes;
            long o1 = o0 + gap;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector xv = load(x, 4L * c);
                a0 = brains(w, o0 + 2L * c).fma(xv, a0);
                a1 = brains(w, o1 + 2L * c).fma(xv, a1);
            }
            y[yo + i] = a0.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o0, c, cols, x, 0);
            y[yo + half + i] = a1.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o1, c, cols, x, 0);
        }
        if (first + 2 * half < end) {
            y[yo + end - 1 - first] = bf16Row(w, (end - 1) * rowBytes, cols, x);
        }
    }

    /**
     * F16 below 16 lanes (AVX2). The bit-arithmetic widening ({@link #halves}) is about ten vector
     * operations per L weights, which left F16 rows compute-bound (8 GB/s from memory against 22 for
     * F32, 1536x576 on two Zen 3 cores); a plain loop of {@code Float.float16ToFloat} into a float
     * array is what C2 vectorizes into {@code vcvtph2ps} (F16C, one instruction per 8 halves). So each
     * pair of rows is widened into a per-thread buffer first (from memory, once) and multiplied from
     * it (from L1): the same products, summed per lane in the same order as the 16-lane path.
     */
    private static void f16Widened(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x,
            float[] y, int yo) {
        float[] buf = WIDENED.get();
        if (buf == null || buf.length < 2 * cols) {
            buf = new float[2 * cols];
            WIDENED.set(buf);
        }
        int half = (end - first) >> 1;
        long gap = half * rowBytes;
        for (int i = 0; i < half; i++) {
            long o0 = (first + i) * rowBytes;
            widen(w, o0, buf, 0, cols);
            widen(w, o0 + gap, buf, cols, cols);
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            int c = 0;
            for (; c <= cols - L; c += L) {
                FloatVector xv = load(x, 4L * c);
                a0 = FloatVector.fromArray(F, buf, c).fma(xv, a0);
                a1 = FloatVector.fromArray(F, buf, cols + c).fma(xv, a1);
            }
            y[yo + i] = a0.reduceLanes(VectorOperators.ADD) + widenedTail(buf, 0, c, cols, x);
            y[yo + half + i] = a1.reduceLanes(VectorOperators.ADD) + widenedTail(buf, cols, c, cols, x);
        }
        if (first + 2 * half < end) {
            widen(w, (end - 1) * rowBytes, buf, 0, cols);
            FloatVector a = FloatVector.zero(F);
            int c = 0;
            for (; c <= cols - L; c += L) {
                a = FloatVector.fromArray(F, buf, c).fma(load(x, 4L * c), a);
            }
            y[yo + end - 1 - first] = a.reduceLanes(VectorOperators.ADD) + widenedTail(buf, 0, c, cols, x);
        }
    }

    /** {@code cols} halves from byte {@code off} of {@code w} into {@code buf[at...]}, as floats (a loop C2 vectorizes). */
    private static void widen(MemorySegment w, long off, float[] buf, int at, int cols) {
        for (int c = 0; c < cols; c++) {
            buf[at + c] = Float.float16ToFloat(w.get(BlockBits.SHORT_LE, off + 2L * c));
        }
    }

    /** As {@link BlockBits#f16Tail}, from a widened row. */
    private static float widenedTail(float[] buf, int at, int c, int cols, MemorySegment x) {
        float tail = 0;
        for (; c < cols; c++) {
            tail += buf[at + c] * x.get(FLOAT_LE, 4L * c);
        }
        return tail;
    }

    private static float f32Row(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector a = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            a = FloatVector.fromMemorySegment(F, w, off + 4L * c, LE).fma(load(x, 4L * c), a);
        }
        return a.reduceLanes(VectorOperators.ADD) + f32Tail(w, off, c, cols, x);
    }

    private static float f16Row(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector a = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            a = halves(w, off + 2L * c).fma(load(x, 4L * c), a);
        }
        return a.reduceLanes(VectorOperators.ADD) + f16Tail(w, off, c, cols, x, 0);
    }

    private static float bf16Row(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector a = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            a = brains(w, off + 2L * c).fma(load(x, 4L * c), a);
        }
        return a.reduceLanes(VectorOperators.ADD) + bf16Tail(w, off, c, cols, x, 0);
    }

    /** L IEEE halves at off as floats, by bit arithmetic (exact, subnormals included): the Vector API has no such conversion. */
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

    private static float f32Tail(MemorySegment w, long off, int c, int cols, MemorySegment x) {
        float tail = 0;
        for (; c < cols; c++) {
            tail += w.get(FLOAT_LE, off + 4L * c) * x.get(FLOAT_LE, 4L * c);
        }
        return tail;
    }



    private static FloatVector load(MemorySegment x, long at) {
        return FloatVector.fromMemorySegment(F, x, at, LE);
    }
}
