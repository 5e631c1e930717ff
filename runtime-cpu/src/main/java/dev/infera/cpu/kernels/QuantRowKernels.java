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
 * Template (see {@link SpeciesSpecializer}): SIMD decoding of weight rows for every type the fast
 * path covers, used two ways. Fused (batch 1): each decoded vector is multiplied into the activation
 * row at once, so weights stream from memory exactly once and never touch a buffer. Store (batch > 1):
 * rows are decoded into a float buffer that dense tiles then reuse for every activation row.
 *
 * <p>All quantized types are handled in groups of 16 elements held in one 128-bit byte vector of small
 * integers; a group becomes {@code 16 / L} float vectors of the species' {@code L} lanes by widening
 * conversion (one instruction pair on AVX-512). A weight is formed as {@code fma(q, scale, offset)}
 * and, fused, accumulated as {@code fma(weight, x, acc)}: two FMAs per 16 weights, which keeps the
 * batch-1 loop bound by memory bandwidth rather than by arithmetic.
 */
final class QuantRowKernels implements RowKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final int PARTS = 16 / L;
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
    public void dotRows(int kind, MemorySegment w, long rowBytes, int cols, int firstRow, int endRow,
            float[] x, int xOffset, float[] y, int yOffset) {
        for (int r = firstRow; r < endRow; r++) {
            y[yOffset + r - firstRow] = row(kind, w, r * rowBytes, cols, x, xOffset, false);
        }
    }

    @Override
    public void decodeRows(int kind, MemorySegment w, long rowBytes, int cols, int firstRow, int numRows, float[] dst) {
        for (int i = 0; i < numRows; i++) {
            row(kind, w, (firstRow + i) * rowBytes, cols, dst, i * cols, true);
        }
    }

    /** Decodes one row: into {@code buf[bufOffset...]} when {@code store}, else returns its dot with it. */
    private static float row(int kind, MemorySegment w, long off, int cols, float[] buf, int bufOffset, boolean store) {
        return switch (kind) {
            case KIND_F32 -> f32(w, off, cols, buf, bufOffset, store);
            case KIND_F16 -> f16(w, off, cols, buf, bufOffset, store);
            case KIND_BF16 -> bf16(w, off, cols, buf, bufOffset, store);
            case KIND_Q8_0 -> q8_0(w, off, cols, buf, bufOffset, store);
            case KIND_Q4_0, KIND_Q4_1 -> q4(kind == KIND_Q4_1, w, off, cols, buf, bufOffset, store);
            case KIND_Q5_0, KIND_Q5_1 -> q5(kind == KIND_Q5_1, w, off, cols, buf, bufOffset, store);
            case KIND_Q4_K, KIND_Q5_K -> q45K(kind == KIND_Q5_K, w, off, cols, buf, bufOffset, store);
            case KIND_Q6_K -> q6K(w, off, cols, buf, bufOffset, store);
            default -> throw new IllegalArgumentException("no SIMD kernel for type kind " + kind);
        };
    }

    /** One group of 16 small integers as weights {@code q * scale + offset}: stored, or multiplied into acc. */
    private static FloatVector group(ByteVector q, float scale, float offset, float[] buf, int o, boolean store,
            FloatVector acc) {
        FloatVector s = FloatVector.broadcast(F, scale);
        FloatVector m = FloatVector.broadcast(F, offset);
        for (int p = 0; p < PARTS; p++) {
            FloatVector wv = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).fma(s, m);
            if (store) {
                wv.intoArray(buf, o + p * L);
            } else {
                acc = wv.fma(FloatVector.fromArray(F, buf, o + p * L), acc);
            }
        }
        return acc;
    }

    /** One float vector of weights: stored, or multiplied into acc. */
    private static FloatVector put(FloatVector wv, float[] buf, int o, boolean store, FloatVector acc) {
        if (store) {
            wv.intoArray(buf, o);
            return acc;
        }
        return wv.fma(FloatVector.fromArray(F, buf, o), acc);
    }

    private static float finish(FloatVector acc, float tail) {
        return acc.reduceLanes(VectorOperators.ADD) + tail;
    }

    private static ByteVector bytes(MemorySegment w, long off) {
        return ByteVector.fromMemorySegment(B, w, off, LE);
    }

    private static ByteVector lowNibbles(ByteVector b) {
        return b.and((byte) 0x0F);
    }

    private static ByteVector highNibbles(ByteVector b) {
        return b.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
    }

    private static float f16(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(SHORT_LE, off));
    }

    private static float f32(MemorySegment w, long off, int cols, float[] buf, int bo, boolean store) {
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            acc = put(FloatVector.fromMemorySegment(F, w, off + 4L * c, LE), buf, bo + c, store, acc);
        }
        float tail = 0;
        for (; c < cols; c++) {
            float v = w.get(FLOAT_LE, off + 4L * c);
            if (store) {
                buf[bo + c] = v;
            } else {
                tail += v * buf[bo + c];
            }
        }
        return finish(acc, tail);
    }

    /** IEEE half to float by bit arithmetic (exact, subnormals included): the Vector API has no such conversion. */
    private static FloatVector halfToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        IntVector magnitude = bits.and(0x7FFF);
        FloatVector value = magnitude.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, 0x7C00);
        IntVector result = value.reinterpretAsInts()
                .blend(magnitude.lanewise(VectorOperators.LSHL, 13).or(0x7F800000), special)
                .or(bits.and(0x8000).lanewise(VectorOperators.LSHL, 16));
        return result.reinterpretAsFloats();
    }

    private static float f16(MemorySegment w, long off, int cols, float[] buf, int bo, boolean store) {
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * c, LE);
            acc = put(halfToFloat(h), buf, bo + c, store, acc);
        }
        float tail = 0;
        for (; c < cols; c++) {
            float v = f16(w, off + 2L * c);
            if (store) {
                buf[bo + c] = v;
            } else {
                tail += v * buf[bo + c];
            }
        }
        return finish(acc, tail);
    }

    private static float bf16(MemorySegment w, long off, int cols, float[] buf, int bo, boolean store) {
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * c, LE);
            IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            acc = put(bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), buf, bo + c, store, acc);
        }
        float tail = 0;
        for (; c < cols; c++) {
            float v = Float.intBitsToFloat((w.get(SHORT_LE, off + 2L * c) & 0xFFFF) << 16);
            if (store) {
                buf[bo + c] = v;
            } else {
                tail += v * buf[bo + c];
            }
        }
        return finish(acc, tail);
    }

    // Q8_0 (34 bytes): f16 d, 32 int8.
    private static float q8_0(MemorySegment w, long off, int cols, float[] buf, int bo, boolean store) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0; c < cols; c += 32, off += 34) {
            float d = f16(w, off);
            acc = group(bytes(w, off + 2), d, 0f, buf, bo + c, store, acc);
            acc = group(bytes(w, off + 18), d, 0f, buf, bo + c + 16, store, acc);
        }
        return finish(acc, 0f);
    }

    // Q4_0 (18 bytes): f16 d, 16 bytes of nibbles, value (q - 8) * d.
    // Q4_1 (20 bytes): f16 d, f16 m, 16 bytes of nibbles, value q * d + m.
    private static float q4(boolean withMin, MemorySegment w, long off, int cols, float[] buf, int bo, boolean store) {
        FloatVector acc = FloatVector.zero(F);
        int blockBytes = withMin ? 20 : 18;
        long qs = withMin ? 4 : 2;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            float d = f16(w, off);
            float m = withMin ? f16(w, off + 2) : -8 * d;
            ByteVector b = bytes(w, off + qs);
            acc = group(lowNibbles(b), d, m, buf, bo + c, store, acc);
            acc = group(highNibbles(b), d, m, buf, bo + c + 16, store, acc);
        }
        return finish(acc, 0f);
    }

    // Q5_0 (22 bytes): f16 d, u32 fifth bits, 16 bytes of nibbles, value (q - 16) * d.
    // Q5_1 (24 bytes): f16 d, f16 m, u32 fifth bits, 16 bytes of nibbles, value q * d + m.
    private static float q5(boolean withMin, MemorySegment w, long off, int cols, float[] buf, int bo, boolean store) {
        FloatVector acc = FloatVector.zero(F);
        int blockBytes = withMin ? 24 : 22;
        long qhAt = withMin ? 4 : 2;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            float d = f16(w, off);
            float m = withMin ? f16(w, off + 2) : -16 * d;
            int qh = w.get(INT_LE, off + qhAt);
            ByteVector b = bytes(w, off + qhAt + 4);
            ByteVector lo = lowNibbles(b).lanewise(VectorOperators.OR, (byte) 0x10, VectorMask.fromLong(B, qh & 0xFFFF));
            ByteVector hi = highNibbles(b).lanewise(VectorOperators.OR, (byte) 0x10, VectorMask.fromLong(B, qh >>> 16));
            acc = group(lo, d, m, buf, bo + c, store, acc);
            acc = group(hi, d, m, buf, bo + c + 16, store, acc);
        }
        return finish(acc, 0f);
    }

    // Q4_K (144 bytes) / Q5_K (176 bytes): f16 d, f16 dmin, 12 bytes of 6-bit scales and mins,
    // [Q5_K: 32 bytes of fifth bits], 128 bytes of nibbles; value = d * sc * q - dmin * m per 32.
    private static float q45K(boolean five, MemorySegment w, long off, int cols, float[] buf, int bo, boolean store) {
        FloatVector acc = FloatVector.zero(F);
        int blockBytes = five ? 176 : 144;
        long qsAt = five ? 48 : 16;
        for (int c = 0; c < cols; c += 256, off += blockBytes) {
            float d = f16(w, off);
            float dmin = f16(w, off + 2);
            ByteVector qh0 = bytes(w, off + 16);
            ByteVector qh1 = bytes(w, off + 32);
            for (int chunk = 0; chunk < 4; chunk++) {
                int sm1 = scaleMin(w, off + 4, 2 * chunk);
                int sm2 = scaleMin(w, off + 4, 2 * chunk + 1);
                float d1 = d * (sm1 & 0xFF);
                float m1 = -(dmin * (sm1 >>> 8));
                float d2 = d * (sm2 & 0xFF);
                float m2 = -(dmin * (sm2 >>> 8));
                ByteVector b0 = bytes(w, off + qsAt + 32 * chunk);
                ByteVector b1 = bytes(w, off + qsAt + 32 * chunk + 16);
                ByteVector lo0 = lowNibbles(b0);
                ByteVector lo1 = lowNibbles(b1);
                ByteVector hi0 = highNibbles(b0);
                ByteVector hi1 = highNibbles(b1);
                if (five) {
                    lo0 = lo0.or(fifthBit(qh0, 2 * chunk));
                    lo1 = lo1.or(fifthBit(qh1, 2 * chunk));
                    hi0 = hi0.or(fifthBit(qh0, 2 * chunk + 1));
                    hi1 = hi1.or(fifthBit(qh1, 2 * chunk + 1));
                }
                int o = bo + c + 64 * chunk;
                acc = group(lo0, d1, m1, buf, o, store, acc);
                acc = group(lo1, d1, m1, buf, o + 16, store, acc);
                acc = group(hi0, d2, m2, buf, o + 32, store, acc);
                acc = group(hi1, d2, m2, buf, o + 48, store, acc);
            }
        }
        return finish(acc, 0f);
    }

    /** Bit {@code bit} of every qh byte, moved to 0x10. */
    private static ByteVector fifthBit(ByteVector qh, int bit) {
        return bitsToFour(qh, bit, (byte) 0x10);
    }

    /**
     * Moves bits {@code shift...} of every byte to bit 4 and keeps {@code mask}. The shift runs on
     * 16-bit lanes (x86 has no byte shifts); bits that cross into the neighbouring byte land outside
     * the mask.
     */
    private static ByteVector bitsToFour(ByteVector b, int shift, byte mask) {
        ShortVector s = b.reinterpretAsShorts();
        s = shift >= 4 ? s.lanewise(VectorOperators.LSHR, shift - 4) : s.lanewise(VectorOperators.LSHL, 4 - shift);
        return s.reinterpretAsBytes().and(mask);
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

    private static int u8(MemorySegment w, long off) {
        return w.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    // Q6_K (210 bytes): ql[128], qh[64], int8 scales[16], f16 d; value = d * sc * (q - 32) per 16.
    private static float q6K(MemorySegment w, long off, int cols, float[] buf, int bo, boolean store) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0; c < cols; c += 256, off += 210) {
            float d = f16(w, off + 208);
            for (int half = 0; half < 2; half++) {
                long ql = off + 64L * half;
                long qh = off + 128 + 32L * half;
                long sc = off + 192 + 8L * half;
                for (int g = 0; g < 2; g++) {
                    ByteVector lowA = bytes(w, ql + 16 * g);
                    ByteVector lowB = bytes(w, ql + 32 + 16 * g);
                    ByteVector high = bytes(w, qh + 16 * g);
                    ByteVector q1 = lowNibbles(lowA).or(twoBits(high, 0)).sub((byte) 32);
                    ByteVector q2 = lowNibbles(lowB).or(twoBits(high, 2)).sub((byte) 32);
                    ByteVector q3 = highNibbles(lowA).or(twoBits(high, 4)).sub((byte) 32);
                    ByteVector q4 = highNibbles(lowB).or(twoBits(high, 6)).sub((byte) 32);
                    int o = bo + c + 128 * half + 16 * g;
                    acc = group(q1, d * w.get(ValueLayout.JAVA_BYTE, sc + g), 0f, buf, o, store, acc);
                    acc = group(q2, d * w.get(ValueLayout.JAVA_BYTE, sc + g + 2), 0f, buf, o + 32, store, acc);
                    acc = group(q3, d * w.get(ValueLayout.JAVA_BYTE, sc + g + 4), 0f, buf, o + 64, store, acc);
                    acc = group(q4, d * w.get(ValueLayout.JAVA_BYTE, sc + g + 6), 0f, buf, o + 96, store, acc);
                }
            }
        }
        return finish(acc, 0f);
    }

    /** Bits {@code shift, shift+1} of every byte, moved to bits 4-5. */
    private static ByteVector twoBits(ByteVector b, int shift) {
        return bitsToFour(b, shift, (byte) 0x30);
    }
}
