package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.FLOAT_LE;
import static dev.infera.cpu.kernels.BlockBits.INT_LE;
import static dev.infera.cpu.kernels.BlockBits.LE;
import static dev.infera.cpu.kernels.BlockBits.SHORT_LE;
import static dev.infera.cpu.kernels.BlockBits.bytes;
import static dev.infera.cpu.kernels.BlockBits.f16;
import static dev.infera.cpu.kernels.BlockBits.fiveBits;
import static dev.infera.cpu.kernels.BlockBits.head8;
import static dev.infera.cpu.kernels.BlockBits.nibbles;
import static dev.infera.cpu.kernels.BlockBits.s8;
import static dev.infera.cpu.kernels.BlockBits.scaleMinK;
import static dev.infera.cpu.kernels.BlockBits.twoBitsToFour;
import static dev.infera.cpu.kernels.BlockBits.withFifthBit;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}): batch-1 products of weight rows with one activation row,
 * the memory-bound core of token-by-token decoding. Each weight block is decoded in registers and
 * multiplied into the activations at once, so weights stream from memory exactly once and are never
 * stored anywhere.
 *
 * <p>Row pairs. The row loops take two rows per iteration, so both share every activation load and
 * each row has its own accumulator (two independent FMA chains, half the horizontal reductions per
 * row). The pair is row {@code first + i} with row {@code first + half + i}, not two adjacent rows:
 * each half of the range is then one sequential stream through memory, which the hardware
 * prefetchers follow, while two adjacent rows interleave short back-and-forth runs of about ten cache
 * lines that they do not (measured on the Zen 5 VM, Q8_0 576 columns, from memory: 6 Gelem/s for
 * adjacent pairs, 18 for split halves, 14-18 for one row at a time). An odd last row goes through the
 * single-row method, which does exactly the same arithmetic, so a row's result does not depend on how
 * the rows were split into tasks.
 *
 * <p>Blocks without an offset (Q8_0, Q4_0, Q5_0; Q4_0/Q5_0 subtract 8/16 in the byte domain first)
 * sum the products of the raw integers with the activations over the whole block and apply the scale
 * once: {@code acc = fma(q.x, d, acc)}, three FMAs per 32 elements instead of four. Q4_1/Q5_1 add
 * {@code m * sum(x)} of the block the same way. Block headers are read with {@link BlockBits#head8}.
 *
 * <p>Each loop iteration handles at most two rows times two 16-element groups: C2 stops inlining
 * helpers once a compiled method grows past its inlining budget, and a helper that takes or returns a
 * vector but is not inlined boxes it on every call (four rows of a Q8_0 block per iteration allocated
 * 150 MB per second and ran three times slower). K-quant walkers (one row at a time, two accumulators)
 * therefore take one sub-block (or one Q6_K slice pair) per iteration.
 */
final class QuantDotKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));

    private QuantDotKernels() {
    }

    // Entry points, one per type, looked up by name (see RowKernels): each runs one type's
    // walker over a run of rows, so each type compiles on its own. Pair loops write
    // y[yo + i] and y[yo + half + i] for rows first + i and first + half + i.

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
            y[yo + i] = a0.reduceLanes(VectorOperators.ADD) + f16Tail(w, o0, c, cols, x);
            y[yo + half + i] = a1.reduceLanes(VectorOperators.ADD) + f16Tail(w, o1, c, cols, x);
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
            y[yo + i] = a0.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o0, c, cols, x);
            y[yo + half + i] = a1.reduceLanes(VectorOperators.ADD) + bf16Tail(w, o1, c, cols, x);
        }
        if (first + 2 * half < end) {
            y[yo + end - 1 - first] = bf16Row(w, (end - 1) * rowBytes, cols, x);
        }
    }

    static void q8_0Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        int half = (end - first) >> 1;
        long gap = half * rowBytes;
        for (int i = 0; i < half; i++) {
            long o0 = (first + i) * rowBytes;
            long o1 = o0 + gap;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            long k = 0;
            for (int c = 0; c < cols; c += 32, k += 34) {
                a0 = q8_0Block(w, o0 + k, x, 4L * c, a0);
                a1 = q8_0Block(w, o1 + k, x, 4L * c, a1);
            }
            y[yo + i] = a0.reduceLanes(VectorOperators.ADD);
            y[yo + half + i] = a1.reduceLanes(VectorOperators.ADD);
        }
        if (first + 2 * half < end) {
            y[yo + end - 1 - first] = q8_0Row(w, (end - 1) * rowBytes, cols, x);
        }
    }

    static void q4_0Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        int half = (end - first) >> 1;
        long gap = half * rowBytes;
        for (int i = 0; i < half; i++) {
            long o0 = (first + i) * rowBytes;
            long o1 = o0 + gap;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            long k = 0;
            for (int c = 0; c < cols; c += 32, k += 18) {
                for (int p = 0; p < 2; p++) {
                    FloatVector a = q4_0Block(w, (p == 0 ? o0 : o1) + k, x, 4L * c, p == 0 ? a0 : a1);
                    if (p == 0) {
                        a0 = a;
                    } else {
                        a1 = a;
                    }
                }
            }
            y[yo + i] = a0.reduceLanes(VectorOperators.ADD);
            y[yo + half + i] = a1.reduceLanes(VectorOperators.ADD);
        }
        if (first + 2 * half < end) {
            y[yo + end - 1 - first] = q4_0Row(w, (end - 1) * rowBytes, cols, x);
        }
    }

    static void q4_1Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        int half = (end - first) >> 1;
        long gap = half * rowBytes;
        for (int i = 0; i < half; i++) {
            long o0 = (first + i) * rowBytes;
            long o1 = o0 + gap;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            long k = 0;
            for (int c = 0; c < cols; c += 32, k += 20) {
                for (int p = 0; p < 2; p++) {
                    FloatVector a = q4_1Block(w, (p == 0 ? o0 : o1) + k, x, 4L * c, p == 0 ? a0 : a1);
                    if (p == 0) {
                        a0 = a;
                    } else {
                        a1 = a;
                    }
                }
            }
            y[yo + i] = a0.reduceLanes(VectorOperators.ADD);
            y[yo + half + i] = a1.reduceLanes(VectorOperators.ADD);
        }
        if (first + 2 * half < end) {
            y[yo + end - 1 - first] = q4_1Row(w, (end - 1) * rowBytes, cols, x);
        }
    }

    static void q5_0Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        int half = (end - first) >> 1;
        long gap = half * rowBytes;
        for (int i = 0; i < half; i++) {
            long o0 = (first + i) * rowBytes;
            long o1 = o0 + gap;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            long k = 0;
            for (int c = 0; c < cols; c += 32, k += 22) {
                for (int p = 0; p < 2; p++) {
                    FloatVector a = q5_0Block(w, (p == 0 ? o0 : o1) + k, x, 4L * c, p == 0 ? a0 : a1);
                    if (p == 0) {
                        a0 = a;
                    } else {
                        a1 = a;
                    }
                }
            }
            y[yo + i] = a0.reduceLanes(VectorOperators.ADD);
            y[yo + half + i] = a1.reduceLanes(VectorOperators.ADD);
        }
        if (first + 2 * half < end) {
            y[yo + end - 1 - first] = q5_0Row(w, (end - 1) * rowBytes, cols, x);
        }
    }

    static void q5_1Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        int half = (end - first) >> 1;
        long gap = half * rowBytes;
        for (int i = 0; i < half; i++) {
            long o0 = (first + i) * rowBytes;
            long o1 = o0 + gap;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            long k = 0;
            for (int c = 0; c < cols; c += 32, k += 24) {
                for (int p = 0; p < 2; p++) {
                    FloatVector a = q5_1Block(w, (p == 0 ? o0 : o1) + k, x, 4L * c, p == 0 ? a0 : a1);
                    if (p == 0) {
                        a0 = a;
                    } else {
                        a1 = a;
                    }
                }
            }
            y[yo + i] = a0.reduceLanes(VectorOperators.ADD);
            y[yo + half + i] = a1.reduceLanes(VectorOperators.ADD);
        }
        if (first + 2 * half < end) {
            y[yo + end - 1 - first] = q5_1Row(w, (end - 1) * rowBytes, cols, x);
        }
    }

    static void q4_KRows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q45K(false, w, r * rowBytes, cols, x);
        }
    }

    static void q5_KRows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q45K(true, w, r * rowBytes, cols, x);
        }
    }

    static void q6_KRows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q6K(w, r * rowBytes, cols, x);
        }
    }

    // Single rows: the same arithmetic as one row of a pair.

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
        return a.reduceLanes(VectorOperators.ADD) + f16Tail(w, off, c, cols, x);
    }

    private static float bf16Row(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector a = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            a = brains(w, off + 2L * c).fma(load(x, 4L * c), a);
        }
        return a.reduceLanes(VectorOperators.ADD) + bf16Tail(w, off, c, cols, x);
    }

    private static float q8_0Row(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector a = FloatVector.zero(F);
        long k = 0;
        for (int c = 0; c < cols; c += 32, k += 34) {
            a = q8_0Block(w, off + k, x, 4L * c, a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    private static float q4_0Row(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector a = FloatVector.zero(F);
        long k = 0;
        for (int c = 0; c < cols; c += 32, k += 18) {
            a = q4_0Block(w, off + k, x, 4L * c, a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    private static float q4_1Row(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector a = FloatVector.zero(F);
        long k = 0;
        for (int c = 0; c < cols; c += 32, k += 20) {
            a = q4_1Block(w, off + k, x, 4L * c, a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    private static float q5_0Row(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector a = FloatVector.zero(F);
        long k = 0;
        for (int c = 0; c < cols; c += 32, k += 22) {
            a = q5_0Block(w, off + k, x, 4L * c, a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    private static float q5_1Row(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector a = FloatVector.zero(F);
        long k = 0;
        for (int c = 0; c < cols; c += 32, k += 24) {
            a = q5_1Block(w, off + k, x, 4L * c, a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    // One 32-element block of one row into its accumulator. Block at off, activations at byte at.

    // Q8_0 (34 bytes): f16 d, 32 int8; value q * d.
    private static FloatVector q8_0Block(MemorySegment w, long off, MemorySegment x, long at, FloatVector acc) {
        FloatVector t = mul16(bytes(w, off + 2), x, at);
        t = fma16(bytes(w, off + 18), x, at + 64, t);
        return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, off))), acc);
    }

    // Q4_0 (18 bytes): f16 d, 16 bytes; element j is the low nibble of byte j, j+16 the high; value (q - 8) * d.
    private static FloatVector q4_0Block(MemorySegment w, long off, MemorySegment x, long at, FloatVector acc) {
        ByteVector b = bytes(w, off + 2);
        FloatVector t = mul16(nibbles(b, 0), x, at);
        t = fma16(nibbles(b, 4), x, at + 64, t);
        t = sum32(x, at).fma(FloatVector.broadcast(F, -8f), t);
        return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, off))), acc);
    }

    // Q4_1 (20 bytes): f16 d, f16 m, 16 bytes of nibbles; value q * d + m.
    private static FloatVector q4_1Block(MemorySegment w, long off, MemorySegment x, long at, FloatVector acc) {
        long head = head8(w, off);
        ByteVector b = bytes(w, off + 4);
        FloatVector t = mul16(nibbles(b, 0), x, at);
        t = fma16(nibbles(b, 4), x, at + 64, t);
        FloatVector m = sum32(x, at).mul(Float.float16ToFloat((short) (head >>> 16)));
        return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head)), m).add(acc);
    }

    // Q5_0 (22 bytes): f16 d, u32 fifth bits (bit j for element j), 16 bytes of nibbles; value (q - 16) * d.
    private static FloatVector q5_0Block(MemorySegment w, long off, MemorySegment x, long at, FloatVector acc) {
        long head = head8(w, off);
        int qh = (int) (head >>> 16);
        ByteVector b = bytes(w, off + 6);
        FloatVector t = mul16(fiveBits(b, 0, qh), x, at);
        t = fma16(fiveBits(b, 4, qh >>> 16), x, at + 64, t);
        t = sum32(x, at).fma(FloatVector.broadcast(F, -16f), t);
        return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head)), acc);
    }

    // Q5_1 (24 bytes): f16 d, f16 m, u32 fifth bits, 16 bytes of nibbles; value q * d + m.
    private static FloatVector q5_1Block(MemorySegment w, long off, MemorySegment x, long at, FloatVector acc) {
        long head = head8(w, off);
        int qh = (int) (head >>> 32);
        ByteVector b = bytes(w, off + 8);
        FloatVector t = mul16(fiveBits(b, 0, qh), x, at);
        t = fma16(fiveBits(b, 4, qh >>> 16), x, at + 64, t);
        FloatVector m = sum32(x, at).mul(Float.float16ToFloat((short) (head >>> 16)));
        return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head)), m).add(acc);
    }

    /** The 16 products {@code q[i] * x[at/4 + i]} folded into one vector. */
    private static FloatVector mul16(ByteVector q, MemorySegment x, long at) {
        FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(load(x, at));
        if (L < 16) {
            t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 1)).fma(load(x, at + 4L * L), t);
            if (L < 8) {
                t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 2)).fma(load(x, at + 8L * L), t);
                t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 3)).fma(load(x, at + 12L * L), t);
            }
        }
        return t;
    }

    /** acc + the 16 products {@code q[i] * x[at/4 + i]}. */
    private static FloatVector fma16(ByteVector q, MemorySegment x, long at, FloatVector acc) {
        acc = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(load(x, at), acc);
        if (L < 16) {
            acc = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 1)).fma(load(x, at + 4L * L), acc);
            if (L < 8) {
                acc = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 2)).fma(load(x, at + 8L * L), acc);
                acc = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 3)).fma(load(x, at + 12L * L), acc);
            }
        }
        return acc;
    }

    /** The 32 activations from byte {@code at} folded into one vector (lane sums). */
    private static FloatVector sum32(MemorySegment x, long at) {
        FloatVector s = load(x, at);
        for (int i = 1; i < 32 / L; i++) {
            s = s.add(load(x, at + 4L * L * i));
        }
        return s;
    }

    /** acc + the 16 weights {@code q * scale + offset} times the activations at {@code x[at...]}. */
    private static FloatVector dot16(ByteVector q, float scale, float offset, MemorySegment x, long at, FloatVector acc) {
        FloatVector s = FloatVector.broadcast(F, scale);
        FloatVector m = FloatVector.broadcast(F, offset);
        acc = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(s, m).fma(load(x, at), acc);
        if (L < 16) {
            acc = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 1)).fma(s, m).fma(load(x, at + 4L * L), acc);
            if (L < 8) {
                acc = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 2)).fma(s, m).fma(load(x, at + 8L * L), acc);
                acc = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 3)).fma(s, m).fma(load(x, at + 12L * L), acc);
            }
        }
        return acc;
    }

    private static FloatVector load(MemorySegment x, long at) {
        return FloatVector.fromMemorySegment(F, x, at, LE);
    }

    private static float sum(FloatVector a, FloatVector b) {
        return a.add(b).reduceLanes(VectorOperators.ADD);
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

    // Scalar tails of the float rows: columns c..cols of the row at off.

    private static float f32Tail(MemorySegment w, long off, int c, int cols, MemorySegment x) {
        float tail = 0;
        for (; c < cols; c++) {
            tail += w.get(FLOAT_LE, off + 4L * c) * x.get(FLOAT_LE, 4L * c);
        }
        return tail;
    }

    private static float f16Tail(MemorySegment w, long off, int c, int cols, MemorySegment x) {
        float tail = 0;
        for (; c < cols; c++) {
            tail += f16(w, off + 2L * c) * x.get(FLOAT_LE, 4L * c);
        }
        return tail;
    }

    private static float bf16Tail(MemorySegment w, long off, int c, int cols, MemorySegment x) {
        float tail = 0;
        for (; c < cols; c++) {
            tail += Float.intBitsToFloat((w.get(SHORT_LE, off + 2L * c) & 0xFFFF) << 16) * x.get(FLOAT_LE, 4L * c);
        }
        return tail;
    }

    // Q4_K (144 bytes) / Q5_K (176 bytes): f16 d, f16 dmin, 12 bytes of 6-bit scales and mins,
    // [Q5_K: 32 bytes of fifth bits], 128 bytes of nibbles. Sub-block j (32 elements) takes the low
    // (j even) or high (j odd) nibbles of bytes 32*(j/2)... [plus 0x10 where bit j of the matching
    // fifth-bit byte is set]; value = d * sc_j * q - dmin * m_j. One sub-block (two groups) per iteration.
    private static float q45K(boolean five, MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int blockBytes = five ? 176 : 144;
        long qsAt = five ? 48 : 16;
        for (int c = 0; c < cols; c += 256, off += blockBytes) {
            float d = f16(w, off);
            float dmin = f16(w, off + 2);
            int s0 = w.get(INT_LE, off + 4);
            int s1 = w.get(INT_LE, off + 8);
            int s2 = w.get(INT_LE, off + 12);
            ByteVector h0 = bytes(w, off + 16);
            ByteVector h1 = bytes(w, off + 32);
            for (int j = 0; j < 8; j++) {
                int sm = scaleMinK(s0, s1, s2, j);
                float scale = d * (sm & 0xFF);
                float offset = -(dmin * (sm >>> 8));
                long q = off + qsAt + 32 * (j >> 1);
                ByteVector q0 = nibbles(bytes(w, q), 4 * (j & 1));
                ByteVector q1 = nibbles(bytes(w, q + 16), 4 * (j & 1));
                if (five) {
                    q0 = withFifthBit(q0, h0, j);
                    q1 = withFifthBit(q1, h1, j);
                }
                long at = 4L * (c + 32 * j);
                acc0 = dot16(q0, scale, offset, x, at, acc0);
                acc1 = dot16(q1, scale, offset, x, at + 64, acc1);
            }
        }
        return sum(acc0, acc1);
    }

    // Q6_K (210 bytes): ql[128], qh[64], int8 scales[16], f16 d. Group j (16 elements, scale j) sits in
    // half h = j/8 at quarter k = (j%8)/2 and 16-lane slice s = j%2: its low 4 bits are the low (k < 2)
    // or high (k >= 2) nibbles of ql[64h + 32(k%2) + 16s ...], its top 2 bits are bits 2k, 2k+1 of
    // qh[32h + 16s ...]; value = d * sc_j * (q - 32). Both slices of a (half, quarter) per iteration.
    private static float q6K(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int c = 0; c < cols; c += 256, off += 210) {
            float d = f16(w, off + 208);
            for (int p = 0; p < 8; p++) {
                int half = p >> 2;
                int quarter = p & 3;
                long ql = off + 64 * half + 32 * (quarter & 1);
                long qh = off + 128 + 32 * half;
                int nibbleShift = 4 * (quarter >> 1);
                ByteVector q0 = nibbles(bytes(w, ql), nibbleShift).or(twoBitsToFour(bytes(w, qh), 2 * quarter));
                ByteVector q1 = nibbles(bytes(w, ql + 16), nibbleShift).or(twoBitsToFour(bytes(w, qh + 16), 2 * quarter));
                float sc0 = d * s8(w, off + 192 + 2 * p);
                float sc1 = d * s8(w, off + 193 + 2 * p);
                long at = 4L * (c + 32 * p);
                acc0 = dot16(q0, sc0, -32 * sc0, x, at, acc0);
                acc1 = dot16(q1, sc1, -32 * sc1, x, at + 64, acc1);
            }
        }
        return sum(acc0, acc1);
    }
}
