package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.FLOAT_LE;
import static dev.infera.cpu.kernels.BlockBits.INT_LE;
import static dev.infera.cpu.kernels.BlockBits.LE;
import static dev.infera.cpu.kernels.BlockBits.SHORT_LE;
import static dev.infera.cpu.kernels.BlockBits.bytes;
import static dev.infera.cpu.kernels.BlockBits.f16;
import static dev.infera.cpu.kernels.BlockBits.nibbles;
import static dev.infera.cpu.kernels.BlockBits.s8;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
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
 * path covers. One walker per type serves two uses: {@code store} writes the decoded row into a
 * 64-byte-aligned buffer (for the dense tiles at batch > 1), otherwise each decoded vector is
 * multiplied into the activation row straight away and the row's dot product returned (batch 1:
 * weights stream from memory once and are never written anywhere).
 *
 * <p>Quantized types are handled in groups of 16 elements held in one 128-bit byte vector of small
 * integers (see {@link BlockBits}); a group becomes {@code 16 / L} float vectors by a widening
 * conversion, and each weight is {@code fma(q, scale, offset)}.
 *
 * <p>Each loop iteration handles one or two groups. C2 inlines helpers only while the compiled
 * method stays small, and a helper that takes or returns a vector but is not inlined boxes it on
 * every call; bigger loop bodies (a whole K-quant super-block unrolled) measured 10x slower with
 * megabytes of garbage per call.
 */
final class QuantRowKernels implements RowKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));

    QuantRowKernels() {
    }

    @Override
    public void decodeRows(int kind, MemorySegment w, long rowBytes, int cols, int firstRow, int numRows,
            MemorySegment dst, int ld) {
        for (int i = 0; i < numRows; i++) {
            long at = 4L * i * ld;
            walk(kind, w, (firstRow + i) * rowBytes, cols, dst, at, true);
            for (int c = cols; c < ld; c++) {
                dst.set(FLOAT_LE, at + 4L * c, 0f);
            }
        }
    }

    @Override
    public void dotRows(int kind, MemorySegment w, long rowBytes, int cols, int firstRow, int endRow,
            MemorySegment x, float[] y, int yOffset) {
        for (int r = firstRow; r < endRow; r++) {
            y[yOffset + r - firstRow] = walk(kind, w, r * rowBytes, cols, x, 0, false);
        }
    }

    private static float walk(int kind, MemorySegment w, long off, int cols, MemorySegment buf, long at, boolean store) {
        return switch (kind) {
            case KIND_F32 -> f32Row(w, off, cols, buf, at, store);
            case KIND_F16 -> f16Row(w, off, cols, buf, at, store);
            case KIND_BF16 -> bf16Row(w, off, cols, buf, at, store);
            case KIND_Q8_0 -> q8_0(w, off, cols, buf, at, store);
            case KIND_Q4_0, KIND_Q4_1 -> q4(kind == KIND_Q4_1, w, off, cols, buf, at, store);
            case KIND_Q5_0, KIND_Q5_1 -> q5(kind == KIND_Q5_1, w, off, cols, buf, at, store);
            case KIND_Q4_K, KIND_Q5_K -> q45K(kind == KIND_Q5_K, w, off, cols, buf, at, store);
            case KIND_Q6_K -> q6K(w, off, cols, buf, at, store);
            default -> throw new IllegalArgumentException("no SIMD decoder for type kind " + kind);
        };
    }

    /** One vector of weights: stored at {@code buf[at]}, or multiplied with the activations there into acc. */
    private static FloatVector emit(FloatVector wv, MemorySegment buf, long at, boolean store, FloatVector acc) {
        if (store) {
            wv.intoMemorySegment(buf, at, LE);
            return acc;
        }
        return wv.fma(FloatVector.fromMemorySegment(F, buf, at, LE), acc);
    }

    /** A group of 16 small integers as weights {@code q * scale + offset}, for elements at {@code buf[at...]}. */
    private static FloatVector group(ByteVector q, float scale, float offset, MemorySegment buf, long at,
            boolean store, FloatVector acc) {
        FloatVector s = FloatVector.broadcast(F, scale);
        FloatVector m = FloatVector.broadcast(F, offset);
        acc = emit(((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(s, m), buf, at, store, acc);
        if (L < 16) {
            acc = emit(((FloatVector) q.convertShape(VectorOperators.B2F, F, 1)).fma(s, m), buf, at + 4L * L, store, acc);
            if (L < 8) {
                acc = emit(((FloatVector) q.convertShape(VectorOperators.B2F, F, 2)).fma(s, m), buf, at + 8L * L, store,
                        acc);
                acc = emit(((FloatVector) q.convertShape(VectorOperators.B2F, F, 3)).fma(s, m), buf, at + 12L * L, store,
                        acc);
            }
        }
        return acc;
    }

    /** Finishes a walk: the lane sum plus a scalar tail for dots, 0 for stores. */
    private static float finish(FloatVector acc, float tail, boolean store) {
        return store ? 0f : acc.reduceLanes(VectorOperators.ADD) + tail;
    }

    private static float f32Row(MemorySegment w, long off, int cols, MemorySegment buf, long at, boolean store) {
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            acc = emit(FloatVector.fromMemorySegment(F, w, off + 4L * c, LE), buf, at + 4L * c, store, acc);
        }
        float tail = 0;
        for (; c < cols; c++) {
            tail += tail(w.get(FLOAT_LE, off + 4L * c), buf, at + 4L * c, store);
        }
        return finish(acc, tail, store);
    }

    /** A single tail weight: stored, or its product with the activation returned. */
    private static float tail(float v, MemorySegment buf, long at, boolean store) {
        if (store) {
            buf.set(FLOAT_LE, at, v);
            return 0f;
        }
        return v * buf.get(FLOAT_LE, at);
    }

    /** IEEE half to float by bit arithmetic (exact, subnormals included): the Vector API has no such conversion. */
    private static float f16Row(MemorySegment w, long off, int cols, MemorySegment buf, long at, boolean store) {
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
            acc = emit(value.reinterpretAsFloats(), buf, at + 4L * c, store, acc);
        }
        float tail = 0;
        for (; c < cols; c++) {
            tail += tail(f16(w, off + 2L * c), buf, at + 4L * c, store);
        }
        return finish(acc, tail, store);
    }

    private static float bf16Row(MemorySegment w, long off, int cols, MemorySegment buf, long at, boolean store) {
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * c, LE);
            IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            acc = emit(bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), buf, at + 4L * c, store, acc);
        }
        float tail = 0;
        for (; c < cols; c++) {
            tail += tail(Float.intBitsToFloat((w.get(SHORT_LE, off + 2L * c) & 0xFFFF) << 16), buf, at + 4L * c, store);
        }
        return finish(acc, tail, store);
    }

    // Q8_0 (34 bytes): f16 d, 32 int8; value q * d.
    private static float q8_0(MemorySegment w, long off, int cols, MemorySegment buf, long at, boolean store) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int c = 0; c < cols; c += 32, off += 34) {
            float d = f16(w, off);
            acc0 = group(bytes(w, off + 2), d, 0f, buf, at + 4L * c, store, acc0);
            acc1 = group(bytes(w, off + 18), d, 0f, buf, at + 4L * c + 64, store, acc1);
        }
        return finish(acc0.add(acc1), 0f, store);
    }

    // Q4_0 (18 bytes): f16 d, 16 bytes; element j is the low nibble of byte j, j+16 the high; value (q - 8) * d.
    // Q4_1 (20 bytes): f16 d, f16 m, 16 bytes of nibbles; value q * d + m.
    private static float q4(boolean withMin, MemorySegment w, long off, int cols, MemorySegment buf, long at,
            boolean store) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int blockBytes = withMin ? 20 : 18;
        long qs = withMin ? 4 : 2;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            float d = f16(w, off);
            float m = withMin ? f16(w, off + 2) : -8 * d;
            ByteVector b = bytes(w, off + qs);
            acc0 = group(nibbles(b, 0), d, m, buf, at + 4L * c, store, acc0);
            acc1 = group(nibbles(b, 4), d, m, buf, at + 4L * c + 64, store, acc1);
        }
        return finish(acc0.add(acc1), 0f, store);
    }

    // Q5_0 (22 bytes): f16 d, u32 fifth bits, 16 bytes of nibbles; value (q - 16) * d.
    // Q5_1 (24 bytes): f16 d, f16 m, u32 fifth bits, 16 bytes of nibbles; value q * d + m.
    private static float q5(boolean withMin, MemorySegment w, long off, int cols, MemorySegment buf, long at,
            boolean store) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int blockBytes = withMin ? 24 : 22;
        long qhAt = withMin ? 4 : 2;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            float d = f16(w, off);
            float m = withMin ? f16(w, off + 2) : -16 * d;
            int qh = w.get(INT_LE, off + qhAt);
            ByteVector b = bytes(w, off + qhAt + 4);
            ByteVector lo = nibbles(b, 0).lanewise(VectorOperators.OR, (byte) 0x10,
                    VectorMask.fromLong(BlockBits.B, qh & 0xFFFF));
            ByteVector hi = nibbles(b, 4).lanewise(VectorOperators.OR, (byte) 0x10,
                    VectorMask.fromLong(BlockBits.B, qh >>> 16));
            acc0 = group(lo, d, m, buf, at + 4L * c, store, acc0);
            acc1 = group(hi, d, m, buf, at + 4L * c + 64, store, acc1);
        }
        return finish(acc0.add(acc1), 0f, store);
    }

    // Q4_K (144 bytes) / Q5_K (176 bytes): f16 d, f16 dmin, 12 bytes of 6-bit scales and mins,
    // [Q5_K: 32 bytes of fifth bits], 128 bytes of nibbles. Group g (16 elements) belongs to sub-block
    // j = g/2 and takes the low (j even) or high (j odd) nibbles of bytes 32*(j/2) + 16*(g%2)...
    // [plus 0x10 where bit j of fifth-bit byte 16*(g%2)... is set]; value = d * sc_j * q - dmin * m_j.
    // One group per iteration (a single call site keeps the compiled method small); consecutive groups
    // alternate between two accumulators.
    private static float q45K(boolean five, MemorySegment w, long off, int cols, MemorySegment buf, long at,
            boolean store) {
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
            for (int g = 0; g < 16; g++) {
                int j = g >> 1;
                int half = g & 1;
                int sm = scaleMinK(s0, s1, s2, j);
                ByteVector q = nibbles(bytes(w, off + qsAt + 32 * (j >> 1) + 16 * half), 4 * (j & 1));
                if (five) {
                    q = withFifthBit(q, bytes(w, off + 16 + 16 * half), j);
                }
                FloatVector next = group(q, d * (sm & 0xFF), -(dmin * (sm >>> 8)), buf, at + 4L * (c + 16 * g), store,
                        acc1);
                acc1 = acc0;
                acc0 = next;
            }
        }
        return finish(acc0.add(acc1), 0f, store);
    }

    /**
     * Sub-block j's 6-bit scale (bits 0-7) and 6-bit min (bits 8-15) from the 12 scale bytes of a
     * Q4_K/Q5_K block read as three little-endian ints: bytes 0-3 hold the low 6 bits of scales 0-3
     * (top 2 bits: high bits of scales 4-7), bytes 4-7 the same for the mins, bytes 8-11 the low 4
     * bits of scales 4-7 (low nibble) and mins 4-7 (high nibble).
     */
    private static int scaleMinK(int s0, int s1, int s2, int j) {
        if (j < 4) {
            return ((s0 >>> (8 * j)) & 63) | (((s1 >>> (8 * j)) & 63) << 8);
        }
        int k = 8 * (j - 4);
        int sc = ((s2 >>> k) & 0x0F) | (((s0 >>> (k + 6)) & 3) << 4);
        int m = ((s2 >>> (k + 4)) & 0x0F) | (((s1 >>> (k + 6)) & 3) << 4);
        return sc | (m << 8);
    }

    /** {@code q} with 0x10 added where bit {@code bit} of the matching byte of {@code h} is set (a test, no shift). */
    private static ByteVector withFifthBit(ByteVector q, ByteVector h, int bit) {
        return q.lanewise(VectorOperators.OR, (byte) 0x10, h.and((byte) (1 << bit)).compare(VectorOperators.NE, (byte) 0));
    }

    // Q6_K (210 bytes): ql[128], qh[64], int8 scales[16], f16 d. Group j (16 elements, scale j) sits in
    // half h = j/8 at quarter k = (j%8)/2 and 16-lane slice s = j%2: its low 4 bits are the low (k < 2)
    // or high (k >= 2) nibbles of ql[64h + 32(k%2) + 16s ...], its top 2 bits are bits 2k, 2k+1 of
    // qh[32h + 16s ...]; value = d * sc_j * (q - 32). One group per iteration, two accumulators.
    private static float q6K(MemorySegment w, long off, int cols, MemorySegment buf, long at, boolean store) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int c = 0; c < cols; c += 256, off += 210) {
            float d = f16(w, off + 208);
            for (int j = 0; j < 16; j++) {
                int half = j >> 3;
                int quarter = (j & 7) >> 1;
                int slice = j & 1;
                ByteVector low = nibbles(bytes(w, off + 64 * half + 32 * (quarter & 1) + 16 * slice), 4 * (quarter >> 1));
                ByteVector high = twoBitsToFour(bytes(w, off + 128 + 32 * half + 16 * slice), 2 * quarter);
                float scale = d * s8(w, off + 192 + j);
                FloatVector next = group(low.or(high), scale, -32 * scale, buf, at + 4L * (c + 16 * j), store, acc1);
                acc1 = acc0;
                acc0 = next;
            }
        }
        return finish(acc0.add(acc1), 0f, store);
    }

    /**
     * Bits {@code shift, shift+1} (shift 0..6) of every byte moved to bits 4-5, branch-free: shifted
     * right then left by 4 on 16-bit lanes; bits crossing between the two bytes land outside 0x30.
     */
    private static ByteVector twoBitsToFour(ByteVector b, int shift) {
        return b.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift).lanewise(VectorOperators.LSHL, 4)
                .reinterpretAsBytes().and((byte) 0x30);
    }
}
