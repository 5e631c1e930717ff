package dev.infera.core.model;

/**
 * How rotary frequencies are stretched for contexts longer than the model was trained on.
 * {@link Type#LINEAR} divides every frequency by {@code factor}. {@link Type#LLAMA3} leaves high
 * frequencies alone, divides low ones by {@code factor}, and blends smoothly between the wavelengths
 * {@code originalContextLength / highFreqFactor} and {@code originalContextLength / lowFreqFactor}.
 */
public record RopeScaling(Type type, float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength) {

    public enum Type {
        NONE,
        LINEAR,
        LLAMA3
    }

    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1f, 1f, 4f, 0);

    public RopeScaling {
        if (type == null) {
            throw new IllegalArgumentException("rope scaling type must not be null");
        }
        if (!(factor > 0) || !Float.isFinite(factor)) {
            throw new IllegalArgumentException("rope scaling factor must be a positive number, got " + factor);
        }
        if (type == Type.LLAMA3) {
            if (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor)) {
                throw new IllegalArgumentException("llama3 rope scaling needs 0 < low_freq_factor < high_freq_factor, got "
                        + lowFreqFactor + " and " + highFreqFactor);
            }
            if (originalContextLength <= 0) {
                throw new IllegalArgumentException("llama3 rope scaling needs a positive original context length, got "
                        + originalContextLength);
            }
        }
    }

    public static RopeScaling linear(float factor) {
        return new RopeScaling(Type.LINEAR, factor, 1f, 4f, 0);
    }

    public static RopeScaling llama3(float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength) {
        return new RopeScaling(Type.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalContextLength);
    }
}
