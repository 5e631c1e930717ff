package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.INT_LE;
import static dev.infera.cpu.kernels.BlockBits.LE;
import static dev.infera.cpu.kernels.BlockBits.bytes;
import static dev.infera.cpu.kernels.BlockBits.f16;
import static dev.infera.cpu.kernels.BlockBits.ints8;
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
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}): batch-1 products of K-quant weight rows (Q4_K, Q5_K,
 * Q6_K; 256-element super-blocks) with one activation row, one row at a time. Each 16-element group
 * is widened to floats, turned into weights by {@code fma(q, scale, offset)} and accumulated with a
 * second FMA; consecutive groups go to two accumulators so the FMA latency chain does not bound the
 * loop. Each loop iteration handles one sub-block (or one Q6_K slice pair), two groups: with a whole
 * super-block unrolled C2 ran out of inlining budget and boxed every vector (ten times slower).
 * These walkers are bound by per-sub-block scalar work (scale unpacking), not by memory.
 */
final class KQuantDotKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** The 4-bit levels 0..15, for the 16-lane Q4_K table. */
    private static final FloatVector LEVELS = FloatVector.fromArray(F, BlockBits.q4Levels(0, L), 0);

    private KQuantDotKernels() {
    }

    // Entry points looked up by name (see RowKernels).

    static void q4_KRows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = L == 16 ? q4KTable(w, r * rowBytes, cols, x)
                    : L == 8 ? q45K8(false, w, r * rowBytes, cols, x) : q45K(false, w, r * rowBytes, cols, x);
        }
    }

    static void q5_KRows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = L == 8 ? q45K8(true, w, r * rowBytes, cols, x) : q45K(true, w, r * rowBytes, cols, x);
        }
    }

    static void q6_KRows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = L == 8 ? q6K8(w, r * rowBytes, cols, x) : q6K(w, r * rowBytes, cols, x);
        }
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

    // Q4_K with 16 lanes: the same weights and sums as q45K, but each sub-block's 16 possible weights
    // fma(i, scale, offset) are computed once into a table that the nibbles index (selectFrom, one
    // vpermd per 16 elements) instead of widening and scaling every group. A table entry is exactly
    // the weight q45K computes and the groups go to the same accumulators in the same order, so the
    // result is bit for bit q45K's (and the small-batch kernels' per row). Two sub-blocks (the low and
    // high nibbles of the same 32 bytes) per iteration.
    private static float q4KTable(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int c = 0; c < cols; c += 256, off += 144) {
            float d = f16(w, off);
            float dmin = f16(w, off + 2);
            int s0 = w.get(INT_LE, off + 4);
            int s1 = w.get(INT_LE, off + 8);
            int s2 = w.get(INT_LE, off + 12);
            for (int j = 0; j < 8; j += 2) {
                int smA = scaleMinK(s0, s1, s2, j);
                int smB = scaleMinK(s0, s1, s2, j + 1);
                IntVector tableA = LEVELS.fma(d * (smA & 0xFF), -(dmin * (smA >>> 8))).reinterpretAsInts();
                IntVector tableB = LEVELS.fma(d * (smB & 0xFF), -(dmin * (smB >>> 8))).reinterpretAsInts();
                long q = off + 16 + 16L * j;
                IntVector qa = (IntVector) bytes(w, q).convertShape(VectorOperators.B2I, I, 0);
                IntVector qb = (IntVector) bytes(w, q + 16).convertShape(VectorOperators.B2I, I, 0);
                long at = 4L * (c + 32 * j);
                acc0 = qa.selectFrom(tableA).reinterpretAsFloats().fma(load(x, at), acc0);
                acc1 = qb.selectFrom(tableA).reinterpretAsFloats().fma(load(x, at + 64), acc1);
                acc0 = qa.lanewise(VectorOperators.LSHR, 4).selectFrom(tableB).reinterpretAsFloats()
                        .fma(load(x, at + 128), acc0);
                acc1 = qb.lanewise(VectorOperators.LSHR, 4).selectFrom(tableB).reinterpretAsFloats()
                        .fma(load(x, at + 192), acc1);
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

    // 8 lanes. Splitting each 16-byte group into halves (convertShape part 1) cost C2 so many nodes
    // that the loop went past its inlining budget and every vector was boxed (30x slower); these
    // read 8 bytes per vector instead ({@link BlockBits#ints8}) and take 16 elements per iteration
    // (half a sub-block; its scale is unpacked again for the second half, a few scalar operations)
    // so the loop body stays as small as the 16-lane one.

    /** As {@link #q45K}, 8 lanes: the same weights; elements 8-15 of each half sub-block go to the second sum. */
    private static float q45K8(boolean five, MemorySegment w, long off, int cols, MemorySegment x) {
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
            for (int h = 0; h < 16; h++) {
                int j = h >> 1;
                int sm = scaleMinK(s0, s1, s2, j);
                FloatVector scale = FloatVector.broadcast(F, d * (sm & 0xFF));
                FloatVector offset = FloatVector.broadcast(F, -(dmin * (sm >>> 8)));
                long q = off + qsAt + 32 * (j >> 1) + 16 * (h & 1);
                int shift = 4 * (j & 1);
                IntVector qa = ints8(w, q).lanewise(VectorOperators.LSHR, shift).and(0x0F);
                IntVector qb = ints8(w, q + 8).lanewise(VectorOperators.LSHR, shift).and(0x0F);
                if (five) {
                    long qh = off + 16 + 16 * (h & 1);
                    qa = qa.or(ints8(w, qh).lanewise(VectorOperators.LSHR, j).and(1).lanewise(VectorOperators.LSHL, 4));
                    qb = qb.or(ints8(w, qh + 8).lanewise(VectorOperators.LSHR, j).and(1).lanewise(VectorOperators.LSHL, 4));
                }
                long at = 4L * (c + 16 * h);
                acc0 = floats(qa).fma(scale, offset).fma(load(x, at), acc0);
                acc1 = floats(qb).fma(scale, offset).fma(load(x, at + 32), acc1);
            }
        }
        return sum(acc0, acc1);
    }

    /** As {@link #q6K}, 8 lanes: one 16-element group (one scale) per iteration. */
    private static float q6K8(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int c = 0; c < cols; c += 256, off += 210) {
            float d = f16(w, off + 208);
            for (int g = 0; g < 16; g++) {
                int p = g >> 1;
                int slice = g & 1;
                int half = p >> 2;
                int quarter = p & 3;
                long ql = off + 64 * half + 32 * (quarter & 1) + 16 * slice;
                long qh = off + 128 + 32 * half + 16 * slice;
                int nibbleShift = 4 * (quarter >> 1);
                int twoShift = 2 * quarter;
                IntVector qa = ints8(w, ql).lanewise(VectorOperators.LSHR, nibbleShift).and(0x0F)
                        .or(ints8(w, qh).lanewise(VectorOperators.LSHR, twoShift).and(3).lanewise(VectorOperators.LSHL, 4));
                IntVector qb = ints8(w, ql + 8).lanewise(VectorOperators.LSHR, nibbleShift).and(0x0F)
                        .or(ints8(w, qh + 8).lanewise(VectorOperators.LSHR, twoShift).and(3).lanewise(VectorOperators.LSHL, 4));
                float sc = d * s8(w, off + 192 + g);
                FloatVector scale = FloatVector.broadcast(F, sc);
                FloatVector offset = FloatVector.broadcast(F, -32 * sc);
                long at = 4L * (c + 32 * p + 16 * slice);
                acc0 = floats(qa).fma(scale, offset).fma(load(x, at), acc0);
                acc1 = floats(qb).fma(scale, offset).fma(load(x, at + 32), acc1);
            }
        }
        return sum(acc0, acc1);
    }

    private static FloatVector floats(IntVector q) {
        return (FloatVector) q.convert(VectorOperators.I2F, 0);
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
}
