package dev.infera.core.quant;

import static dev.infera.core.quant.BlockBytes.FLOAT_LE;
import static dev.infera.core.quant.BlockBytes.INT_LE;
import static dev.infera.core.quant.BlockBytes.SHORT_LE;
import static dev.infera.core.quant.BlockBytes.putF16;
import static dev.infera.core.quant.BlockBytes.putU8;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Encodes floats into GGML tensor types with GGML's reference (no importance matrix) rounding rules,
 * so that a file Infera writes holds the same bytes llama.cpp's quantizer would write for the same
 * floats, and loads in llama.cpp. The arithmetic is done in {@code float}, in the reference's order,
 * operation by operation; Java's strict IEEE float semantics make that reproducible.
 *
 * <p>Encoding streams: {@link #row} writes one run of whole blocks into a caller-owned segment (wrap a
 * {@code byte[]} with {@code MemorySegment.ofArray}, a {@code ByteBuffer} with
 * {@code MemorySegment.ofBuffer}), so a large tensor can be produced row by row. The 32-element types
 * are encoded here; the "K" super-block types in {@link QuantizeK}.
 */
public final class Quantize {

    private Quantize() {
    }

    /** Whether {@link #row} can encode this type. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Encodes {@code src[srcOffset ... srcOffset + n)} as {@code type} into {@code dst} starting at
     * {@code dstByteOffset}; writes exactly {@code type.byteSize(n)} bytes.
     *
     * @throws IllegalArgumentException when the type cannot be encoded, {@code n} is not a whole
     *     number of blocks, or a range falls outside {@code src} or {@code dst}
     */
    public static void row(GgmlType type, float[] src, int srcOffset, int n, MemorySegment dst, long dstByteOffset) {
        Objects.requireNonNull(type, "type");
        if (!supports(type)) {
            throw new IllegalArgumentException("cannot quantize to tensor type " + type);
        }
        long bytes = type.byteSize(n);
        if (bytes < 0) {
            throw new IllegalArgumentException(
                    "element count " + n + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        if (dstByteOffset < 0 || dstByteOffset > dst.byteSize() - bytes) {
            throw new IllegalArgumentException("writing " + bytes + " bytes of " + type + " at byte offset "
                    + dstByteOffset + " runs past the end of a " + dst.byteSize() + "-byte segment");
        }
        int qk = type.blockSize();
        int bpb = type.bytesPerBlock();
        for (int b = 0; b < n / qk; b++) {
            int in = srcOffset + b * qk;
            long at = dstByteOffset + (long) b * bpb;
            switch (type) {
                case F32 -> dst.set(FLOAT_LE, at, src[in]);
                case F16 -> dst.set(SHORT_LE, at, HalfFloats.floatToF16(src[in]));
                case BF16 -> dst.set(SHORT_LE, at, HalfFloats.floatToBf16(src[in]));
                case Q8_0 -> q8_0(src, in, dst, at);
                case Q4_0 -> q4_0(src, in, dst, at);
                case Q4_1 -> q4_1(src, in, dst, at);
                case Q5_0 -> q5_0(src, in, dst, at);
                case Q5_1 -> q5_1(src, in, dst, at);
                case Q4_K -> QuantizeK.q4K(src, in, dst, at);
                case Q5_K -> QuantizeK.q5K(src, in, dst, at);
                case Q6_K -> QuantizeK.q6K(src, in, dst, at);
                default -> throw new IllegalArgumentException("cannot quantize to tensor type " + type);
            }
        }
    }

    /** Encodes {@code src[srcOffset ... srcOffset + n)} into a new byte array. */
    public static byte[] toBytes(GgmlType type, float[] src, int srcOffset, int n) {
        long bytes = type.byteSize(n);
        if (bytes < 0) {
            throw new IllegalArgumentException(
                    "element count " + n + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    "cannot encode " + n + " elements of " + type + " into one byte array");
        }
        byte[] out = new byte[(int) bytes];
        row(type, src, srcOffset, n, MemorySegment.ofArray(out), 0);
        return out;
    }

    /** Encodes all of {@code src} into a new byte array. */
    public static byte[] toBytes(GgmlType type, float[] src) {
        return toBytes(type, src, 0, src.length);
    }

    /** C's {@code roundf}: nearest integer, halfway cases away from zero. */
    static float roundHalfAway(float x) {
        return (float) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }

    private static void q8_0(float[] x, int in, MemorySegment y, long at) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[in + j]));
        }
        float d = amax / 127f;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putF16(y, at, d);
        for (int j = 0; j < 32; j++) {
            putU8(y, at + 2 + j, (int) roundHalfAway(x[in + j] * id));
        }
    }

    /** The value of largest magnitude in a block (the first one when two tie), sign kept. */
    private static float signedAbsMax(float[] x, int in, int n) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < n; j++) {
            float v = x[in + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    /** The smallest value of a block, compared as the reference's {@code if (v < min)} does. */
    private static float blockMin(float[] x, int in, int n) {
        float min = Float.MAX_VALUE;
        for (int j = 0; j < n; j++) {
            if (x[in + j] < min) {
                min = x[in + j];
            }
        }
        return min;
    }

    /** The largest value of a block, compared as the reference's {@code if (v > max)} does. */
    private static float blockMax(float[] x, int in, int n) {
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < n; j++) {
            if (x[in + j] > max) {
                max = x[in + j];
            }
        }
        return max;
    }

    /** C's float-to-{@code int8_t} conversion (truncation) for values known to fit. */
    private static int truncToByte(float v) {
        return (byte) (int) v;
    }

    private static void q4_0(float[] x, int in, MemorySegment y, long at) {
        float max = signedAbsMax(x, in, 32);
        float d = max / -8;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putF16(y, at, d);
        for (int j = 0; j < 16; j++) {
            float x0 = x[in + j] * id;
            float x1 = x[in + 16 + j] * id;
            int q0 = Math.min(15, truncToByte(x0 + 8.5f));
            int q1 = Math.min(15, truncToByte(x1 + 8.5f));
            putU8(y, at + 2 + j, q0 | (q1 << 4));
        }
    }

    private static void q4_1(float[] x, int in, MemorySegment y, long at) {
        float min = blockMin(x, in, 32);
        float max = blockMax(x, in, 32);
        float d = (max - min) / 15;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putF16(y, at, d);
        putF16(y, at + 2, min);
        for (int j = 0; j < 16; j++) {
            float x0 = (x[in + j] - min) * id;
            float x1 = (x[in + 16 + j] - min) * id;
            int q0 = Math.min(15, truncToByte(x0 + 0.5f));
            int q1 = Math.min(15, truncToByte(x1 + 0.5f));
            putU8(y, at + 4 + j, q0 | (q1 << 4));
        }
    }

    private static void q5_0(float[] x, int in, MemorySegment y, long at) {
        float max = signedAbsMax(x, in, 32);
        float d = max / -16;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putF16(y, at, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            float x0 = x[in + j] * id;
            float x1 = x[in + 16 + j] * id;
            int q0 = Math.min(31, truncToByte(x0 + 16.5f));
            int q1 = Math.min(31, truncToByte(x1 + 16.5f));
            putU8(y, at + 6 + j, (q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        y.set(INT_LE, at + 2, qh);
    }

    private static void q5_1(float[] x, int in, MemorySegment y, long at) {
        float min = blockMin(x, in, 32);
        float max = blockMax(x, in, 32);
        float d = (max - min) / 31;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putF16(y, at, d);
        putF16(y, at + 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            float x0 = (x[in + j] - min) * id;
            float x1 = (x[in + 16 + j] - min) * id;
            int q0 = (int) (x0 + 0.5f) & 0xFF;
            int q1 = (int) (x1 + 0.5f) & 0xFF;
            putU8(y, at + 8 + j, (q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        y.set(INT_LE, at + 4, qh);
    }
}
