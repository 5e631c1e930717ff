package dev.infera.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}): SIMD decoding of weight rows into floats for every type
 * the fast path covers. {@link SimdMatMul} decodes a few rows at a time into a small per-worker
 * buffer that stays in L1/L2 cache and multiplies it with the activations there, so the weights
 * stream from memory exactly once per call.
 *
 * <p>All quantized types are decoded in groups of 16 elements held in one 128-bit byte vector of
 * small integers; a group becomes {@code 16 / L} float vectors of the species' {@code L} lanes by a
 * widening conversion, and each weight is {@code fma(q, scale, offset)}.
 *
 * <p>The loops are written so that each iteration handles one or two groups: C2 only inlines helper
 * methods while the compiled method stays small, and a helper that takes or returns a vector and is
 * not inlined boxes that vector on every call (megabytes of garbage per call, ten times slower).
 */
final class QuantRowKernels implements RowKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    QuantRowKernels() {
    }

    @Override
    public void decodeRows(int kind, MemorySegment w, long rowBytes, int cols, int firstRow, int numRows, float[] dst) {
        for (int i = 0; i < numRows; i++) {
            long off = (firstRow + i) * rowBytes;
            int o = i * cols;
            switch (kind) {
                case KIND_F32 -> f32(w, off, cols, dst, o);
                case KIND_F16 -> f16(w, off, cols, dst, o);
                case KIND_BF16 -> bf16(w, off, cols, dst, o);
                case KIND_Q8_0 -> q8_0(w, off, cols, dst, o);
                case KIND_Q4_0 -> q4_0(w, off, cols, dst, o);
                case KIND_Q4_1 -> q4_1(w, off, cols, dst, o);
                case KIND_Q5_0, KIND_Q5_1 -> q5(kind == KIND_Q5_1, w, off, cols, dst, o);
                case KIND_Q4_K, KIND_Q5_K -> q45K(kind == KIND_Q5_K, w, off, cols, dst, o);
                case KIND_Q6_K -> q6K(w, off, cols, dst, o);
                default -> throw new IllegalArgumentException("no SIMD decoder for type kind " + kind);
            }
        }
    }

    /** Stores 16 weights {@code q * scale + offset} at {@code dst[o...]}. */
    private static void put16(ByteVector q, float scale, float offset, float[] dst, int o) {
        FloatVector s = FloatVector.broadcast(F, scale);
        FloatVector m = FloatVector.broadcast(F, offset);
        ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(s, m).intoArray(dst, o);
        if (L < 16) {
            ((FloatVector) q.convertShape(VectorOperators.B2F, F, 1)).fma(s, m).intoArray(dst, o + L);
            if (L < 8) {
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, 2)).fma(s, m).intoArray(dst, o + 2 * L);
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, 3)).fma(s, m).intoArray(dst, o + 3 * L);
            }
        }
    }

    private static ByteVector bytes(MemorySegment w, long off) {
        return ByteVector.fromMemorySegment(B, w, off, LE);
    }

    /** Bits {@code shift..shift+3} of every byte as 0..15 (the shift runs on 16-bit lanes: x86 has no byte shift). */
    private static ByteVector nibbles(ByteVector b, int shift) {
        return b.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift).reinterpretAsBytes().and((byte) 0x0F);
    }

    /**
     * Bits {@code shift...} of every byte moved to bit 4, then {@code mask} kept; bits that cross into
     * the neighbouring byte of a 16-bit lane land outside the mask.
     */
    private static ByteVector bitsToFour(ByteVector b, int shift, byte mask) {
        ShortVector s = b.reinterpretAsShorts();
        s = shift >= 4 ? s.lanewise(VectorOperators.LSHR, shift - 4) : s.lanewise(VectorOperators.LSHL, 4 - shift);
        return s.reinterpretAsBytes().and(mask);
    }

    private static float f16(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(SHORT_LE, off));
    }

    private static int u8(MemorySegment w, long off) {
        return w.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    private static void f32(MemorySegment w, long off, int cols, float[] dst, int o) {
        int c = 0;
        for (; c <= cols - L; c += L) {
            FloatVector.fromMemorySegment(F, w, off + 4L * c, LE).intoArray(dst, o + c);
        }
        for (; c < cols; c++) {
            dst[o + c] = w.get(FLOAT_LE, off + 4L * c);
        }
    }

    /** IEEE half to float by bit arithmetic (exact, subnormals included): the Vector API has no such conversion. */
    private static void f16(MemorySegment w, long off, int cols, float[] dst, int o) {
        int c = 0;
        for (; c <= cols - L; c += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * c, LE);
            IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            IntVector magnitude = bits.and(0x7FFF);
            IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
            IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            IntVector value = finite.blend(shifted.or(0x7F800000), magnitude.compare(VectorOperators.GE, 0x7C00))
                    .or(bits.and(0x8000).lanewise(VectorOperators.LSHL, 16));
            value.reinterpretAsFloats().intoArray(dst, o + c);
        }
        for (; c < cols; c++) {
            dst[o + c] = f16(w, off + 2L * c);
        }
    }

    private static void bf16(MemorySegment w, long off, int cols, float[] dst, int o) {
        int c = 0;
        for (; c <= cols - L; c += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * c, LE);
            IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, o + c);
        }
        for (; c < cols; c++) {
            dst[o + c] = Float.intBitsToFloat((w.get(SHORT_LE, off + 2L * c) & 0xFFFF) << 16);
        }
    }

    // Q8_0 (34 bytes): f16 d, 32 int8; value q * d.
    private static void q8_0(MemorySegment w, long off, int cols, float[] dst, int o) {
        for (int c = 0; c < cols; c += 32, off += 34) {
            float d = f16(w, off);
            put16(bytes(w, off + 2), d, 0f, dst, o + c);
            put16(bytes(w, off + 18), d, 0f, dst, o + c + 16);
        }
    }

    // Q4_0 (18 bytes): f16 d, 16 bytes; element j is the low nibble of byte j, j+16 the high; value (q - 8) * d.
    private static void q4_0(MemorySegment w, long off, int cols, float[] dst, int o) {
        for (int c = 0; c < cols; c += 32, off += 18) {
            float d = f16(w, off);
            ByteVector b = bytes(w, off + 2);
            put16(nibbles(b, 0), d, -8 * d, dst, o + c);
            put16(nibbles(b, 4), d, -8 * d, dst, o + c + 16);
        }
    }

    // Q4_1 (20 bytes): f16 d, f16 m, 16 bytes of nibbles; value q * d + m.
    private static void q4_1(MemorySegment w, long off, int cols, float[] dst, int o) {
        for (int c = 0; c < cols; c += 32, off += 20) {
            float d = f16(w, off);
            float m = f16(w, off + 2);
            ByteVector b = bytes(w, off + 4);
            put16(nibbles(b, 0), d, m, dst, o + c);
            put16(nibbles(b, 4), d, m, dst, o + c + 16);
        }
    }

    // Q5_0 (22 bytes): f16 d, u32 fifth bits, 16 bytes of nibbles; value (q - 16) * d.
    // Q5_1 (24 bytes): f16 d, f16 m, u32 fifth bits, 16 bytes of nibbles; value q * d + m.
    private static void q5(boolean withMin, MemorySegment w, long off, int cols, float[] dst, int o) {
        int blockBytes = withMin ? 24 : 22;
        long qhAt = withMin ? 4 : 2;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            float d = f16(w, off);
            float m = withMin ? f16(w, off + 2) : -16 * d;
            int qh = w.get(INT_LE, off + qhAt);
            ByteVector b = bytes(w, off + qhAt + 4);
            ByteVector lo = nibbles(b, 0).lanewise(VectorOperators.OR, (byte) 0x10, VectorMask.fromLong(B, qh & 0xFFFF));
            ByteVector hi = nibbles(b, 4).lanewise(VectorOperators.OR, (byte) 0x10, VectorMask.fromLong(B, qh >>> 16));
            put16(lo, d, m, dst, o + c);
            put16(hi, d, m, dst, o + c + 16);
        }
    }

    // Q4_K (144 bytes) / Q5_K (176 bytes): f16 d, f16 dmin, 12 bytes of 6-bit scales and mins,
    // [Q5_K: 32 bytes of fifth bits], 128 bytes of nibbles. Sub-block j (32 elements) takes the low
    // nibbles (j even) or high nibbles (j odd) of bytes 32*(j/2)...; value = d*sc*q - dmin*m.
    private static void q45K(boolean five, MemorySegment w, long off, int cols, float[] dst, int o) {
        int blockBytes = five ? 176 : 144;
        long qsAt = five ? 48 : 16;
        for (int c = 0; c < cols; c += 256, off += blockBytes) {
            float d = f16(w, off);
            float dmin = f16(w, off + 2);
            for (int j = 0; j < 8; j++) {
                int sm = scaleMin(w, off + 4, j);
                float scale = d * (sm & 0xFF);
                float offset = -(dmin * (sm >>> 8));
                int shift = 4 * (j & 1);
                ByteVector q0 = nibbles(bytes(w, off + qsAt + 32 * (j >> 1)), shift);
                ByteVector q1 = nibbles(bytes(w, off + qsAt + 32 * (j >> 1) + 16), shift);
                if (five) {
                    q0 = q0.or(bitsToFour(bytes(w, off + 16), j, (byte) 0x10));
                    q1 = q1.or(bitsToFour(bytes(w, off + 32), j, (byte) 0x10));
                }
                put16(q0, scale, offset, dst, o + c + 32 * j);
                put16(q1, scale, offset, dst, o + c + 32 * j + 16);
            }
        }
    }

    /** Sub-block j of a Q4_K/Q5_K block: 6-bit scale in bits 0-7, 6-bit min in bits 8-15. */
    private static int scaleMin(MemorySegment w, long scales, int j) {
        if (j < 4) {
            return (u8(w, scales + j) & 63) | ((u8(w, scales + j + 4) & 63) << 8);
        }
        int sc = (u8(w, scales + j + 4) & 0x0F) | ((u8(w, scales + j - 4) >>> 6) << 4);
        int m = (u8(w, scales + j + 4) >>> 4) | ((u8(w, scales + j) >>> 6) << 4);
        return sc | (m << 8);
    }

    // Q6_K (210 bytes): ql[128], qh[64], int8 scales[16], f16 d. Group j (16 elements, scale j) sits in
    // half h = j/8 at quarter k = (j%8)/2 and 16-lane g = j%2: its low 4 bits are the low (k even) or
    // high (k odd... k >= 2) nibbles of ql[64h + 32(k&1) + 16g ...], its top 2 bits are bits 2k, 2k+1 of
    // qh[32h + 16g ...]; value = d * sc * (q - 32).
    private static void q6K(MemorySegment w, long off, int cols, float[] dst, int o) {
        for (int c = 0; c < cols; c += 256, off += 210) {
            float d = f16(w, off + 208);
            for (int j = 0; j < 16; j++) {
                int half = j >> 3;
                int quarter = (j & 7) >> 1;
                int g = j & 1;
                ByteVector low = nibbles(bytes(w, off + 64 * half + 32 * (quarter & 1) + 16 * g), 4 * (quarter >> 1));
                ByteVector high = bitsToFour(bytes(w, off + 128 + 32 * half + 16 * g), 2 * quarter, (byte) 0x30);
                float scale = d * w.get(ValueLayout.JAVA_BYTE, off + 192 + j);
                put16(low.or(high), scale, -32 * scale, dst, o + c + 16 * j);
            }
        }
    }
}
