package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.FLOAT_LE;
import static dev.infera.cpu.kernels.BlockBits.INT_LE;
import static dev.infera.cpu.kernels.BlockBits.LE;
import static dev.infera.cpu.kernels.BlockBits.SHORT_LE;
import static dev.infera.cpu.kernels.BlockBits.bytes;
import static dev.infera.cpu.kernels.BlockBits.f16;
import static dev.infera.cpu.kernels.BlockBits.fiveBits;
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
 * <p>Quantized types are handled in groups of 16 elements held in one 128-bit byte vector of small
 * integers (see {@link BlockBits}); a group becomes {@code 16 / L} float vectors by a widening
 * conversion, each weight is {@code fma(q, scale, offset)} and is accumulated with a second FMA.
 * Consecutive groups go to two accumulators, so the FMA latency chain does not bound the loop (one
 * accumulator measured 13.7 Gelem/s for Q8_0 on one core, two 21.7).
 *
 * <p>Each loop iteration handles at most two groups: C2 stops inlining helpers once a compiled method
 * grows past its node budget, and a helper that takes or returns a vector but is not inlined boxes it
 * on every call (a K-quant walker with a whole super-block unrolled measured ten times slower, with
 * megabytes of garbage per call).
 */
final class QuantDotKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));

    private QuantDotKernels() {
    }

    // Entry points, one per type, looked up by name (see RowKernels): each runs one type's
    // walker over a run of rows, so each type compiles on its own.

    static void f32Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = f32(w, r * rowBytes, cols, x);
        }
    }

    static void f16Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = f16Row(w, r * rowBytes, cols, x);
        }
    }

    static void bf16Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = bf16(w, r * rowBytes, cols, x);
        }
    }

    static void q8_0Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q8_0(w, r * rowBytes, cols, x);
        }
    }

    static void q4_0Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q4(false, w, r * rowBytes, cols, x);
        }
    }

    static void q4_1Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q4(true, w, r * rowBytes, cols, x);
        }
    }

    static void q5_0Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q5(false, w, r * rowBytes, cols, x);
        }
    }

    static void q5_1Rows(MemorySegment w, long rowBytes, int cols, int first, int end, MemorySegment x, float[] y, int yo) {
        for (int r = first; r < end; r++) {
            y[yo + r - first] = q5(true, w, r * rowBytes, cols, x);
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

    private static float f32(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            acc = FloatVector.fromMemorySegment(F, w, off + 4L * c, LE).fma(load(x, 4L * c), acc);
        }
        float tail = 0;
        for (; c < cols; c++) {
            tail += w.get(FLOAT_LE, off + 4L * c) * x.get(FLOAT_LE, 4L * c);
        }
        return acc.reduceLanes(VectorOperators.ADD) + tail;
    }

    /** IEEE half to float by bit arithmetic (exact, subnormals included): the Vector API has no such conversion. */
    private static float f16Row(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * c, LE);
            IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            IntVector magnitude = bits.and(0x7FFF);
            IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
            IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            IntVector value = finite.blend(shifted.or(0x7F800000), magnitude.compare(VectorOperators.GE, 0x7C00))
                    .or(bits.and(0x8000).lanewise(VectorOperators.LSHL, 16));
            acc = value.reinterpretAsFloats().fma(load(x, 4L * c), acc);
        }
        float tail = 0;
        for (; c < cols; c++) {
            tail += f16(w, off + 2L * c) * x.get(FLOAT_LE, 4L * c);
        }
        return acc.reduceLanes(VectorOperators.ADD) + tail;
    }

    private static float bf16(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * c, LE);
            IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            acc = bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(load(x, 4L * c), acc);
        }
        float tail = 0;
        for (; c < cols; c++) {
            tail += Float.intBitsToFloat((w.get(SHORT_LE, off + 2L * c) & 0xFFFF) << 16) * x.get(FLOAT_LE, 4L * c);
        }
        return acc.reduceLanes(VectorOperators.ADD) + tail;
    }

    // Q8_0 (34 bytes): f16 d, 32 int8; value q * d.
    private static float q8_0(MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int c = 0; c < cols; c += 32, off += 34) {
            float d = f16(w, off);
            acc0 = dot16(bytes(w, off + 2), d, 0f, x, 4L * c, acc0);
            acc1 = dot16(bytes(w, off + 18), d, 0f, x, 4L * c + 64, acc1);
        }
        return sum(acc0, acc1);
    }

    // Q4_0 (18 bytes): f16 d, 16 bytes; element j is the low nibble of byte j, j+16 the high; value (q - 8) * d.
    // Q4_1 (20 bytes): f16 d, f16 m, 16 bytes of nibbles; value q * d + m.
    private static float q4(boolean withMin, MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int blockBytes = withMin ? 20 : 18;
        long qs = withMin ? 4 : 2;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            float d = f16(w, off);
            float m = withMin ? f16(w, off + 2) : -8 * d;
            ByteVector b = bytes(w, off + qs);
            acc0 = dot16(nibbles(b, 0), d, m, x, 4L * c, acc0);
            acc1 = dot16(nibbles(b, 4), d, m, x, 4L * c + 64, acc1);
        }
        return sum(acc0, acc1);
    }

    // Q5_0 (22 bytes): f16 d, u32 fifth bits (bit j for element j), 16 bytes of nibbles; value (q - 16) * d.
    // Q5_1 (24 bytes): f16 d, f16 m, u32 fifth bits, 16 bytes of nibbles; value q * d + m.
    private static float q5(boolean withMin, MemorySegment w, long off, int cols, MemorySegment x) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int blockBytes = withMin ? 24 : 22;
        long qhAt = withMin ? 4 : 2;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            float d = f16(w, off);
            float m = withMin ? f16(w, off + 2) : -16 * d;
            int qh = w.get(INT_LE, off + qhAt);
            ByteVector b = bytes(w, off + qhAt + 4);
            acc0 = dot16(fiveBits(b, 0, qh), d, m, x, 4L * c, acc0);
            acc1 = dot16(fiveBits(b, 4, qh >>> 16), d, m, x, 4L * c + 64, acc1);
        }
        return sum(acc0, acc1);
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
