package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.LE;
import static dev.infera.cpu.kernels.BlockBits.bytes;
import static dev.infera.cpu.kernels.BlockBits.fiveBits;
import static dev.infera.cpu.kernels.BlockBits.floats8;
import static dev.infera.cpu.kernels.BlockBits.head8;
import static dev.infera.cpu.kernels.BlockBits.ints8;
import static dev.infera.cpu.kernels.BlockBits.nibbles;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}): batch-1 products of 32-element-block weight rows (Q8_0,
 * Q4_0, Q4_1, Q5_0, Q5_1) with one activation row, the memory-bound core of token-by-token decoding.
 * Each block is decoded in registers and multiplied into the activations at once, so weights stream
 * from memory exactly once and are never stored anywhere. ({@link FloatDotKernels} and
 * {@link KQuantDotKernels} do the same for float and K-quant rows.)
 *
 * <p>Row pairs (Q8_0; Q4_0 with 16 lanes). The Q8_0 row loop takes two rows per iteration, so both share every activation load and
 * each row has its own accumulator (two independent FMA chains, half the loop overhead and horizontal
 * reductions per row). The pair is row {@code first + i} with row {@code first + half + i}, not two
 * adjacent rows: each half of the range is then one sequential stream through memory, which the
 * hardware prefetchers follow, while two adjacent rows interleave short back-and-forth runs of about
 * ten cache lines that they do not (measured, Q8_0 with 576 columns streamed from memory, one core:
 * 6 Gelem/s for adjacent pairs, 18-20 for split halves). An odd last row goes through the single-row
 * method, which does exactly the same arithmetic, so a row's result does not depend on how the rows
 * were split into tasks.
 *
 * <p>Per block (except the 4-bit tables below), the products of the raw integers with the activations are summed first and the scale
 * is applied once: {@code acc = fma(q.x, d, acc)}, three FMAs per 32 elements instead of four. The
 * Q4_0/Q5_0 offsets (8, 16) and the Q4_1/Q5_1 minimum {@code m} enter through the block's activation
 * sum: {@code (q - 8).x = q.x - 8 sum(x)} (subtracting 8 from the bytes instead pushed the pair loop
 * past C2's inlining budget). Block headers (f16 scales, fifth bits) come from one vector load and one
 * lane extract ({@link BlockBits#head8}), cheaper than scalar segment reads with their bounds checks.
 *
 * <p>C2's inlining budget. A helper that takes or returns a vector and is not inlined boxes it on
 * every call; past a node budget per compiled method C2 stops inlining. Q8_0 fits two explicit block
 * bodies (two rows) per iteration; four rows per iteration boxed (150 MB/s of garbage, three times
 * slower). The 5-bit types (and the 4-bit ones below 16 lanes) need more operations per block and run
 * one row at a time: their pairs, written as a two-trip inner loop over the rows so that C2 parsed one
 * block body, compiled into boxed code in about one JVM run in three (Q4_0 decoding at 9 tok/s instead
 * of 110 on SmolLM2-135M, depending on what the JIT saw first), a risk no speed-up is worth.
 *
 * <p>4-bit tables (Q4_0, Q4_1; 16 lanes). A block's 16 possible weights, {@code (i - 8) * d} or
 * {@code fma(i, d, m)}, are one vector: the levels times the scale. The quants, widened to int lanes
 * once, index it ({@code selectFrom}, one {@code vpermd} per 16 elements; the low nibble directly,
 * since the index wraps to its low 4 bits, the high one after a shift), and the weights go straight
 * into two accumulators (low and high nibbles). That replaces two int-to-float conversions, the
 * activation-sum term and the scale FMA per block; Q4_0 8192x2048 from memory went from 20 to 22 GB/s
 * (JMH) and SmolLM2 Q4_0 decoding from 101-131 to 113-170 tok/s. The smaller block body also fits
 * two explicit rows: Q4_0 pairs, 12 fresh JVMs with no allocation, 1536x576 10.5-11.4 -> 13.6-14.0
 * GB/s.
 */
final class QuantDotKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** Row {@code b} (8 ints at {@code 8b}): 0x10 in lane i where bit i of byte {@code b} is set (8-lane Q5 kernels). */
    private static final int[] FIFTH_BITS = fifthBits();
    /** Q4_0's levels {@code i - 8} and Q4_1's {@code i}; only the 16-lane table path reads them. */
    private static final FloatVector Q4_0_LEVELS = FloatVector.fromArray(F, BlockBits.q4Levels(-8, L), 0);
    private static final FloatVector Q4_1_LEVELS = FloatVector.fromArray(F, BlockBits.q4Levels(0, L), 0);

    private QuantDotKernels() {
    }

    private static int[] fifthBits() {
        int[] table = new int[256 * 8];
        for (int b = 0; b < 256; b++) {
            for (int i = 0; i < 8; i++) {
                table[8 * b + i] = ((b >>> i) & 1) << 4;
            }
        }
        return table;
    }

    // Entry points, one per type, looked up by name (see RowKernels): each runs one type's
    // walker over a run of rows, so each type compiles on its own. The Q8_0 pair loop (and Q4_0's
    // with 16 lanes) writes y[yo + i] and y[yo + half + i] for rows first + i and first + half + i.

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
        if (L == 16) {
            int half = (end - first) >> 1;
            long gap = half * rowBytes;
            for (int i = 0; i < half; i++) {
                long o0 = (first + i) * rowBytes;
                long o1 = o0 + gap;
                FloatVector lo0 = FloatVector.zero(F);
                FloatVector hi0 = lo0;
                FloatVector lo1 = lo0;
                FloatVector hi1 = lo0;
                long k = 0;
                for (int c = 0; c < cols; c += 32, k += 18) {
                    FloatVector u = load(x, 4L * c);
                    FloatVector v = load(x, 4L * c + 64);
                    IntVector table = Q4_0_LEVELS.mul(Float.float16ToFloat((short) head8(w, o0 + k))).reinterpretAsInts();
                    IntVector q = quants16(w, o0 + k + 2);
                    lo0 = q.selectFrom(table).reinterpretAsFloats().fma(u, lo0);
                    hi0 = q.lanewise(VectorOperators.LSHR, 4).selectFrom(table).reinterpretAsFloats().fma(v, hi0);
                    table = Q4_0_LEVELS.mul(Float.float16ToFloat((short) head8(w, o1 + k))).reinterpretAsInts();
                    q = quants16(w, o1 + k + 2);
                    lo1 = q.selectFrom(table).reinterpretAsFloats().fma(u, lo1);
                    hi1 = q.lanewise(VectorOperators.LSHR, 4).selectFrom(table).reinterpretAsFloats().fma(v, hi1);
                }
                y[yo + i] = lo0.add(hi0).reduceLanes(VectorOperators.ADD);
                y[yo + half + i] = lo1.add(hi1).reduceLanes(VectorOperators.ADD);
            }
            if (first + 2 * half < end) {
                y[yo + end - 1 - first] = q4_0Row(w, (end - 1) * rowBytes, cols, x);
            }
            return;
        }
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q4_0Row(w, r * rowBytes, cols, x);
        }
    }

    static void q4_1Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q4_1Row(w, r * rowBytes, cols, x);
        }
    }

    static void q5_0Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q5_0Row(w, r * rowBytes, cols, x);
        }
    }

    static void q5_1Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q5_1Row(w, r * rowBytes, cols, x);
        }
    }

    // Single rows: the same arithmetic as one row of a pair.

    private static float q8_0Row(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector a = FloatVector.zero(F);
        long k = 0;
        for (int c = 0; c < cols; c += 32, k += 34) {
            a = q8_0Block(w, off + k, x, 4L * c, a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    private static float q4_0Row(MemorySegment w, long off, int cols, MemorySegment x) {
        if (L == 16) {
            FloatVector lo = FloatVector.zero(F);
            FloatVector hi = lo;
            long k = 0;
            for (int c = 0; c < cols; c += 32, k += 18) {
                IntVector table = Q4_0_LEVELS.mul(Float.float16ToFloat((short) head8(w, off + k))).reinterpretAsInts();
                IntVector q = quants16(w, off + k + 2);
                lo = q.selectFrom(table).reinterpretAsFloats().fma(load(x, 4L * c), lo);
                hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(table).reinterpretAsFloats().fma(load(x, 4L * c + 64), hi);
            }
            return lo.add(hi).reduceLanes(VectorOperators.ADD);
        }
        FloatVector a = FloatVector.zero(F);
        long k = 0;
        for (int c = 0; c < cols; c += 32, k += 18) {
            a = q4_0Block(w, off + k, x, 4L * c, a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    private static float q4_1Row(MemorySegment w, long off, int cols, MemorySegment x) {
        if (L == 16) {
            FloatVector lo = FloatVector.zero(F);
            FloatVector hi = lo;
            long k = 0;
            for (int c = 0; c < cols; c += 32, k += 20) {
                long head = head8(w, off + k);
                IntVector table = Q4_1_LEVELS.fma(Float.float16ToFloat((short) head),
                        Float.float16ToFloat((short) (head >>> 16))).reinterpretAsInts();
                IntVector q = quants16(w, off + k + 4);
                lo = q.selectFrom(table).reinterpretAsFloats().fma(load(x, 4L * c), lo);
                hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(table).reinterpretAsFloats().fma(load(x, 4L * c + 64), hi);
            }
            return lo.add(hi).reduceLanes(VectorOperators.ADD);
        }
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
        if (L == 8) {
            FloatVector t = floats8(w, off + 2).mul(load(x, at));
            t = floats8(w, off + 10).fma(load(x, at + 32), t);
            t = floats8(w, off + 18).fma(load(x, at + 64), t);
            t = floats8(w, off + 26).fma(load(x, at + 96), t);
            return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, off))), acc);
        }
        FloatVector t = mul16(bytes(w, off + 2), x, at);
        t = fma16(bytes(w, off + 18), x, at + 64, t);
        return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, off))), acc);
    }

    // Q4_0 (18 bytes): f16 d, 16 bytes; element j is the low nibble of byte j, j+16 the high; value (q - 8) * d.
    private static FloatVector q4_0Block(MemorySegment w, long off, MemorySegment x, long at, FloatVector acc) {
        if (L == 8) {
            FloatVector t = nibbles8(w, off + 2, x, at);
            t = sum32(x, at).fma(FloatVector.broadcast(F, -8f), t);
            return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, off))), acc);
        }
        ByteVector b = bytes(w, off + 2);
        FloatVector t = mul16(nibbles(b, 0), x, at);
        t = fma16(nibbles(b, 4), x, at + 64, t);
        t = sum32(x, at).fma(FloatVector.broadcast(F, -8f), t);
        return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head8(w, off))), acc);
    }

    // Q4_1 (20 bytes): f16 d, f16 m, 16 bytes of nibbles; value q * d + m.
    private static FloatVector q4_1Block(MemorySegment w, long off, MemorySegment x, long at, FloatVector acc) {
        long head = head8(w, off);
        if (L == 8) {
            FloatVector t = nibbles8(w, off + 4, x, at);
            FloatVector m = sum32(x, at).mul(Float.float16ToFloat((short) (head >>> 16)));
            return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head)), m).add(acc);
        }
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
        if (L == 8) {
            FloatVector t = fiveBits8(w, off + 6, qh, x, at);
            t = sum32(x, at).fma(FloatVector.broadcast(F, -16f), t);
            return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head)), acc);
        }
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
        if (L == 8) {
            FloatVector t = fiveBits8(w, off + 8, qh, x, at);
            FloatVector m = sum32(x, at).mul(Float.float16ToFloat((short) (head >>> 16)));
            return t.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) head)), m).add(acc);
        }
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

    /**
     * The 32 activations from byte {@code at} folded into one vector (lane sums). Written out without a
     * loop: a loop carrying a vector through a helper that returns one is the shape C2 sometimes
     * compiles into boxed code, depending on what it compiled first.
     */
    private static FloatVector sum32(MemorySegment x, long at) {
        FloatVector s = load(x, at).add(load(x, at + 4L * L));
        if (L < 16) {
            s = s.add(load(x, at + 8L * L)).add(load(x, at + 12L * L));
            if (L < 8) {
                s = s.add(load(x, at + 16L * L)).add(load(x, at + 20L * L)).add(load(x, at + 24L * L))
                        .add(load(x, at + 28L * L));
            }
        }
        return s;
    }

    /**
     * The 16 bytes at {@code off} widened to int lanes (sign-extended: only the low 8 bits matter,
     * since {@code selectFrom} wraps an index to its low 4 bits and the high nibble is taken with a
     * logical shift of the low 8). 16 lanes only.
     */
    private static IntVector quants16(MemorySegment w, long off) {
        return (IntVector) bytes(w, off).convertShape(VectorOperators.B2I, I, 0);
    }

    /**
     * 8 lanes, Q4_0/Q4_1: the 32 products {@code q[i] * x[at/4 + i]} of the 16 nibble bytes at
     * {@code off} (element j the low nibble of byte j, j + 16 the high one) folded into one vector.
     */
    private static FloatVector nibbles8(MemorySegment w, long off, MemorySegment x, long at) {
        IntVector b0 = ints8(w, off);
        IntVector b1 = ints8(w, off + 8);
        FloatVector t = low(b0).mul(load(x, at));
        t = low(b1).fma(load(x, at + 32), t);
        t = high(b0).fma(load(x, at + 64), t);
        return high(b1).fma(load(x, at + 96), t);
    }

    /** As {@link #nibbles8} for Q5_0/Q5_1: element j also takes bit j of {@code qh} as its fifth bit. */
    private static FloatVector fiveBits8(MemorySegment w, long off, int qh, MemorySegment x, long at) {
        IntVector b0 = ints8(w, off);
        IntVector b1 = ints8(w, off + 8);
        FloatVector t = withFifth(b0.and(0x0F), qh).mul(load(x, at));
        t = withFifth(b1.and(0x0F), qh >>> 8).fma(load(x, at + 32), t);
        t = withFifth(b0.lanewise(VectorOperators.LSHR, 4).and(0x0F), qh >>> 16).fma(load(x, at + 64), t);
        return withFifth(b1.lanewise(VectorOperators.LSHR, 4).and(0x0F), qh >>> 24).fma(load(x, at + 96), t);
    }

    /** The low nibbles of widened bytes as floats. */
    private static FloatVector low(IntVector q) {
        return (FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0);
    }

    /** The high nibbles of widened bytes as floats. */
    private static FloatVector high(IntVector q) {
        return (FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(0x0F).convert(VectorOperators.I2F, 0);
    }

    /**
     * 8 lanes, Q5_0/Q5_1: 4-bit quants in int lanes with their fifth bits, bits 0-7 of {@code qh}
     * (lane i takes bit i), as floats. The fifth bits come from a table row (one load): shifting a
     * broadcast {@code qh} by the lane index cost C2 enough nodes to push the block past its inlining
     * budget, boxing every vector.
     */
    private static FloatVector withFifth(IntVector nibbles, int qh) {
        return (FloatVector) nibbles.or(IntVector.fromArray(I, FIFTH_BITS, (qh & 0xFF) << 3)).convert(VectorOperators.I2F, 0);
    }

    private static FloatVector load(MemorySegment x, long at) {
        return FloatVector.fromMemorySegment(F, x, at, LE);
    }

}
