package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.FLOAT_LE;
import static dev.infera.cpu.kernels.BlockBits.INT_LE;
import static dev.infera.cpu.kernels.BlockBits.LE;
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
 * Template (see {@link SpeciesSpecializer}): decodes weight rows into a 64-byte-aligned float buffer
 * for the dense tiles (batch > 1). Block layouts and bit tricks are the same as in
 * {@link QuantDotKernels}, which consumes the decoded vectors directly instead of storing them; the
 * two are kept apart on purpose, because one walker serving both uses is compiled for whichever use
 * warmed it up and falls off a cliff (deoptimisation, boxed vectors) when the other one arrives.
 *
 * <p>Each loop iteration decodes at most two 16-element groups: C2 stops inlining helpers once a
 * compiled method grows past its node budget, and a helper that takes a vector but is not inlined
 * boxes it on every call.
 */
final class QuantDecodeKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));

    private QuantDecodeKernels() {
    }

    // Entry points, one per type, looked up by name (see RowKernels): each decodes a run of
    // rows with one type's walker, so each type compiles on its own. Row i of the run starts at float
    // i * ld of dst; floats cols..ld of each row are zeroed.

    static void f32Rows(MemorySegment w, long rowBytes, int cols, int first, int count, MemorySegment dst, int ld) {
        for (int i = 0; i < count; i++) {
            long off = (first + i) * rowBytes;
            long at = 4L * i * ld;
            f32(w, off, cols, dst, at);
            padWithZeros(dst, at, cols, ld);
        }
    }

    static void f16Rows(MemorySegment w, long rowBytes, int cols, int first, int count, MemorySegment dst, int ld) {
        for (int i = 0; i < count; i++) {
            long off = (first + i) * rowBytes;
            long at = 4L * i * ld;
            f16Row(w, off, cols, dst, at);
            padWithZeros(dst, at, cols, ld);
        }
    }

    static void bf16Rows(MemorySegment w, long rowBytes, int cols, int first, int count, MemorySegment dst, int ld) {
        for (int i = 0; i < count; i++) {
            long off = (first + i) * rowBytes;
            long at = 4L * i * ld;
            bf16(w, off, cols, dst, at);
            padWithZeros(dst, at, cols, ld);
        }
    }

    static void q8_0Rows(MemorySegment w, long rowBytes, int cols, int first, int count, MemorySegment dst, int ld) {
        for (int i = 0; i < count; i++) {
            long off = (first + i) * rowBytes;
            long at = 4L * i * ld;
            q8_0(w, off, cols, dst, at);
            padWithZeros(dst, at, cols, ld);
        }
    }

    static void q4_0Rows(MemorySegment w, long rowBytes, int cols, int first, int count, MemorySegment dst, int ld) {
        for (int i = 0; i < count; i++) {
            long off = (first + i) * rowBytes;
            long at = 4L * i * ld;
            q4(false, w, off, cols, dst, at);
            padWithZeros(dst, at, cols, ld);
        }
    }

    static void q4_1Rows(MemorySegment w, long rowBytes, int cols, int first, int count, MemorySegment dst, int ld) {
        for (int i = 0; i < count; i++) {
            long off = (first + i) * rowBytes;
            long at = 4L * i * ld;
            q4(true, w, off, cols, dst, at);
            padWithZeros(dst, at, cols, ld);
        }
    }

    static void q5_0Rows(MemorySegment w, long rowBytes, int cols, int first, int count, MemorySegment dst, int ld) {
        for (int i = 0; i < count; i++) {
            long off = (first + i) * rowBytes;
            long at = 4L * i * ld;
            q5(false, w, off, cols, dst, at);
            padWithZeros(dst, at, cols, ld);
        }
    }

    static void q5_1Rows(MemorySegment w, long rowBytes, int cols, int first, int count, MemorySegment dst, int ld) {
        for (int i = 0; i < count; i++) {
            long off = (first + i) * rowBytes;
            long at = 4L * i * ld;
            q5(true, w, off, cols, dst, at);
            padWithZeros(dst, at, cols, ld);
        }
    }

    static void q4_KRows(MemorySegment w, long rowBytes, int cols, int first, int count, MemorySegment dst, int ld) {
        for (int i = 0; i < count; i++) {
            long off = (first + i) * rowBytes;
            long at = 4L * i * ld;
            q45K(false, w, off, cols, dst, at);
            padWithZeros(dst, at, cols, ld);
        }
    }

    static void q5_KRows(MemorySegment w, long rowBytes, int cols, int first, int count, MemorySegment dst, int ld) {
        for (int i = 0; i < count; i++) {
            long off = (first + i) * rowBytes;
            long at = 4L * i * ld;
            q45K(true, w, off, cols, dst, at);
            padWithZeros(dst, at, cols, ld);
        }
    }

    static void q6_KRows(MemorySegment w, long rowBytes, int cols, int first, int count, MemorySegment dst, int ld) {
        for (int i = 0; i < count; i++) {
            long off = (first + i) * rowBytes;
            long at = 4L * i * ld;
            q6K(w, off, cols, dst, at);
            padWithZeros(dst, at, cols, ld);
        }
    }

    private static void padWithZeros(MemorySegment dst, long at, int cols, int ld) {
        for (int c = cols; c < ld; c++) {
            dst.set(FLOAT_LE, at + 4L * c, 0f);
        }
    }

    /** Stores 16 weights {@code q * scale + offset} at {@code dst[at...]}. */
    private static void put16(ByteVector q, float scale, float offset, MemorySegment dst, long at) {
        FloatVector s = FloatVector.broadcast(F, scale);
        FloatVector m = FloatVector.broadcast(F, offset);
        ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(s, m).intoMemorySegment(dst, at, LE);
        if (L < 16) {
            ((FloatVector) q.convertShape(VectorOperators.B2F, F, 1)).fma(s, m).intoMemorySegment(dst, at + 4L * L, LE);
            if (L < 8) {
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, 2)).fma(s, m).intoMemorySegment(dst, at + 8L * L, LE);
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, 3)).fma(s, m).intoMemorySegment(dst, at + 12L * L, LE);
            }
        }
    }

    private static void f32(MemorySegment w, long off, int cols, MemorySegment dst, long at) {
        int c = 0;
        for (; c <= cols - L; c += L) {
            FloatVector.fromMemorySegment(F, w, off + 4L * c, LE).intoMemorySegment(dst, at + 4L * c, LE);
        }
        for (; c < cols; c++) {
            dst.set(FLOAT_LE, at + 4L * c, w.get(FLOAT_LE, off + 4L * c));
        }
    }

    /** IEEE half to float by bit arithmetic (exact, subnormals included): the Vector API has no such conversion. */
    private static void f16Row(MemorySegment w, long off, int cols, MemorySegment dst, long at) {
        int c = 0;
        for (; c <= cols - L; c += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * c, LE);
            IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            IntVector magnitude = bits.and(0x7FFF);
            IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
            IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            IntVector value = finite.blend(shifted.or(0x7F800000), magnitude.compare(VectorOperators.GE, 0x7C00))
                    .or(bits.and(0x8000).lanewise(VectorOperators.LSHL, 16));
            value.reinterpretAsFloats().intoMemorySegment(dst, at + 4L * c, LE);
        }
        for (; c < cols; c++) {
            dst.set(FLOAT_LE, at + 4L * c, f16(w, off + 2L * c));
        }
    }

    private static void bf16(MemorySegment w, long off, int cols, MemorySegment dst, long at) {
        int c = 0;
        for (; c <= cols - L; c += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * c, LE);
            IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoMemorySegment(dst, at + 4L * c, LE);
        }
        for (; c < cols; c++) {
            dst.set(FLOAT_LE, at + 4L * c, BlockBits.bf16(w, off + 2L * c));
        }
    }

    // Q8_0 (34 bytes): f16 d, 32 int8; value q * d.
    private static void q8_0(MemorySegment w, long off, int cols, MemorySegment dst, long at) {
        for (int c = 0; c < cols; c += 32, off += 34) {
            float d = f16(w, off);
            put16(bytes(w, off + 2), d, 0f, dst, at + 4L * c);
            put16(bytes(w, off + 18), d, 0f, dst, at + 4L * c + 64);
        }
    }

    // Q4_0 (18 bytes): f16 d, 16 bytes; element j is the low nibble of byte j, j+16 the high; value (q - 8) * d.
    // Q4_1 (20 bytes): f16 d, f16 m, 16 bytes of nibbles; value q * d + m.
    private static void q4(boolean withMin, MemorySegment w, long off, int cols, MemorySegment dst, long at) {
        int blockBytes = withMin ? 20 : 18;
        long qs = withMin ? 4 : 2;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            float d = f16(w, off);
            float m = withMin ? f16(w, off + 2) : -8 * d;
            ByteVector b = bytes(w, off + qs);
            put16(nibbles(b, 0), d, m, dst, at + 4L * c);
            put16(nibbles(b, 4), d, m, dst, at + 4L * c + 64);
        }
    }

    // Q5_0 (22 bytes): f16 d, u32 fifth bits, 16 bytes of nibbles; value (q - 16) * d.
    // Q5_1 (24 bytes): f16 d, f16 m, u32 fifth bits, 16 bytes of nibbles; value q * d + m.
    private static void q5(boolean withMin, MemorySegment w, long off, int cols, MemorySegment dst, long at) {
        int blockBytes = withMin ? 24 : 22;
        long qhAt = withMin ? 4 : 2;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            float d = f16(w, off);
            float m = withMin ? f16(w, off + 2) : -16 * d;
            int qh = w.get(INT_LE, off + qhAt);
            ByteVector b = bytes(w, off + qhAt + 4);
            put16(fiveBits(b, 0, qh), d, m, dst, at + 4L * c);
            put16(fiveBits(b, 4, qh >>> 16), d, m, dst, at + 4L * c + 64);
        }
    }

    // Q4_K / Q5_K: see QuantDotKernels.q45K for the layout. One sub-block (two groups) per iteration.
    private static void q45K(boolean five, MemorySegment w, long off, int cols, MemorySegment dst, long at) {
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
                long o = at + 4L * (c + 32 * j);
                put16(q0, scale, offset, dst, o);
                put16(q1, scale, offset, dst, o + 64);
            }
        }
    }

    // Q6_K: see QuantDotKernels.q6K for the layout. Both slices of a (half, quarter) per iteration.
    private static void q6K(MemorySegment w, long off, int cols, MemorySegment dst, long at) {
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
                long o = at + 4L * (c + 32 * p);
                put16(q0, sc0, -32 * sc0, dst, o);
                put16(q1, sc1, -32 * sc1, dst, o + 64);
            }
        }
    }
}
