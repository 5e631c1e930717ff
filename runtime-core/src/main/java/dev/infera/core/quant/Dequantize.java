package dev.infera.core.quant;

import static dev.infera.core.quant.BlockBytes.FLOAT_LE;
import static dev.infera.core.quant.BlockBytes.INT_LE;
import static dev.infera.core.quant.BlockBytes.SHORT_LE;
import static dev.infera.core.quant.BlockBytes.f16;
import static dev.infera.core.quant.BlockBytes.s8;
import static dev.infera.core.quant.BlockBytes.u8;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Scalar decoding of GGML tensor data into floats: the reference every fast kernel is checked
 * against. Each type follows GGML's block layout and its reference dequantization arithmetic
 * operation by operation (a float multiply, then a separate add, never a fused one), so the floats
 * produced are bit-identical to GGML's.
 *
 * <p>Block types are decoded whole blocks at a time: {@code n} must be a multiple of the type's block
 * size and {@code byteOffset} must point at the start of a block. The 32-element types are decoded
 * here; the 256-element "K" super-block types in {@link DequantizeK}.
 */
public final class Dequantize {

    private Dequantize() {
    }

    /** Whether {@link #row} can decode this type. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K -> true;
            default -> false;
        };
    }

    /**
     * Decodes {@code n} elements of {@code type} stored at {@code src[byteOffset...]} into
     * {@code dst[dstOffset ... dstOffset + n)}.
     *
     * @throws IllegalArgumentException when the type cannot be decoded, {@code n} is not a whole
     *     number of blocks, or a range falls outside {@code src} or {@code dst}
     */
    public static void row(GgmlType type, MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Objects.requireNonNull(type, "type");
        if (!supports(type)) {
            throw new IllegalArgumentException("cannot dequantize tensor type " + type);
        }
        long bytes = type.byteSize(n);
        if (bytes < 0) {
            throw new IllegalArgumentException(
                    "element count " + n + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        if (byteOffset < 0 || byteOffset > src.byteSize() - bytes) {
            throw new IllegalArgumentException("reading " + bytes + " bytes of " + type + " at byte offset "
                    + byteOffset + " runs past the end of a " + src.byteSize() + "-byte segment");
        }
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        int blocks = n / type.blockSize();
        int bpb = type.bytesPerBlock();
        int qk = type.blockSize();
        for (int b = 0; b < blocks; b++) {
            long at = byteOffset + (long) b * bpb;
            int out = dstOffset + b * qk;
            switch (type) {
                case F32 -> dst[out] = src.get(FLOAT_LE, at);
                case F16 -> dst[out] = f16(src, at);
                case BF16 -> dst[out] = HalfFloats.bf16ToFloat(src.get(SHORT_LE, at));
                case Q4_0 -> q4_0(src, at, dst, out);
                case Q4_1 -> q4_1(src, at, dst, out);
                case Q5_0 -> q5_0(src, at, dst, out);
                case Q5_1 -> q5_1(src, at, dst, out);
                case Q8_0 -> q8_0(src, at, dst, out);
                case Q2_K -> DequantizeK.q2K(src, at, dst, out);
                case Q3_K -> DequantizeK.q3K(src, at, dst, out);
                case Q4_K -> DequantizeK.q4K(src, at, dst, out);
                case Q5_K -> DequantizeK.q5K(src, at, dst, out);
                case Q6_K -> DequantizeK.q6K(src, at, dst, out);
                case Q8_K -> DequantizeK.q8K(src, at, dst, out);
                default -> throw new IllegalArgumentException("cannot dequantize tensor type " + type);
            }
        }
    }

    /** Decodes a whole tensor of {@code n} elements starting at byte 0 of {@code src}. */
    public static float[] all(GgmlType type, MemorySegment src, int n) {
        float[] out = new float[n];
        row(type, src, 0, out, 0, n);
        return out;
    }

    // Q4_0: f16 d, 16 bytes; element j is the low nibble of byte j, element j+16 the high nibble.
    private static void q4_0(MemorySegment s, long at, float[] y, int out) {
        float d = f16(s, at);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 2 + j);
            y[out + j] = ((q & 0x0F) - 8) * d;
            y[out + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    // Q4_1: f16 d, f16 m, 16 bytes of nibbles; value = q * d + m.
    private static void q4_1(MemorySegment s, long at, float[] y, int out) {
        float d = f16(s, at);
        float m = f16(s, at + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 4 + j);
            y[out + j] = (q & 0x0F) * d + m;
            y[out + j + 16] = (q >>> 4) * d + m;
        }
    }

    // Q5_0: f16 d, 32-bit mask of fifth bits, 16 bytes of nibbles; value = (q - 16) * d.
    private static void q5_0(MemorySegment s, long at, float[] y, int out) {
        float d = f16(s, at);
        int qh = s.get(INT_LE, at + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 6 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[out + j] = (((q & 0x0F) | h0) - 16) * d;
            y[out + j + 16] = (((q >>> 4) | h1) - 16) * d;
        }
    }

    // Q5_1: f16 d, f16 m, 32-bit mask of fifth bits, 16 bytes of nibbles; value = q * d + m.
    private static void q5_1(MemorySegment s, long at, float[] y, int out) {
        float d = f16(s, at);
        float m = f16(s, at + 2);
        int qh = s.get(INT_LE, at + 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 8 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[out + j] = ((q & 0x0F) | h0) * d + m;
            y[out + j + 16] = ((q >>> 4) | h1) * d + m;
        }
    }

    // Q8_0: f16 d, 32 signed bytes; value = q * d.
    private static void q8_0(MemorySegment s, long at, float[] y, int out) {
        float d = f16(s, at);
        for (int j = 0; j < 32; j++) {
            y[out + j] = s8(s, at + 2 + j) * d;
        }
    }
}
