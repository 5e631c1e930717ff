package dev.infera.core.quant;

/**
 * Conversions between {@code float} and the two 16-bit float formats of GGML. IEEE half precision
 * (F16) uses the JDK's round-to-nearest-even conversions. BF16 is the upper half of a float; rounding
 * to it is round-to-nearest-even, with NaNs kept quiet, the way GGML's reference conversion writes
 * model files.
 */
public final class HalfFloats {

    private HalfFloats() {
    }

    /** BF16 bits (in the low 16 bits of {@code bits}) to float. */
    public static float bf16ToFloat(int bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Float to BF16 bits, round to nearest even; a NaN stays a (quiet) NaN. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + (0x7FFF + ((bits >>> 16) & 1))) >>> 16);
    }

    /** F16 bits (in the low 16 bits of {@code bits}) to float. */
    public static float f16ToFloat(int bits) {
        return Float.float16ToFloat((short) bits);
    }

    /** Float to F16 bits, round to nearest even. */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }
}
