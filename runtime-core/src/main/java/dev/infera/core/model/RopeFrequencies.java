package dev.infera.core.model;

/**
 * Rotary position embedding angles. Pair {@code i} of a head (of {@code ropeDim / 2} pairs) turns by
 * {@code position * inverseFrequency[i]} radians, where the unscaled inverse frequency is
 * {@code theta^(-2i / ropeDim)}; {@link RopeScaling} and an optional per-pair divisor table (GGUF
 * {@code rope_freqs.weight}) adjust it. Frequencies and angles are rounded to float the way the
 * reference C implementations compute them, so positions far into a context agree with their logits.
 */
public final class RopeFrequencies {

    private RopeFrequencies() {
    }

    /**
     * The inverse frequency of each rotated pair.
     *
     * @param freqDivisors per-pair divisors ({@code ropeDim / 2} of them), or null for none
     */
    public static float[] inverseFrequencies(ModelConfig config, float[] freqDivisors) {
        int numPairs = config.ropeDim() / 2;
        if (freqDivisors != null && freqDivisors.length != numPairs) {
            throw new IllegalArgumentException("rope frequency divisors must have " + numPairs + " entries, got "
                    + freqDivisors.length);
        }
        RopeScaling scaling = config.ropeScaling();
        float[] inv = new float[numPairs];
        for (int i = 0; i < numPairs; i++) {
            float freq = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / config.ropeDim()));
            freq = switch (scaling.type()) {
                case NONE -> freq;
                case LINEAR -> freq / scaling.factor();
                case LLAMA3 -> llama3(freq, scaling);
            };
            if (freqDivisors != null) {
                freq /= freqDivisors[i];
            }
            inv[i] = freq;
        }
        return inv;
    }

    private static float llama3(float freq, RopeScaling s) {
        double wavelength = 2 * Math.PI / freq;
        double highFreqWavelength = s.originalContextLength() / s.highFreqFactor();
        double lowFreqWavelength = s.originalContextLength() / s.lowFreqFactor();
        if (wavelength < highFreqWavelength) {
            return freq;
        }
        if (wavelength > lowFreqWavelength) {
            return freq / s.factor();
        }
        double smooth = (s.originalContextLength() / wavelength - s.lowFreqFactor())
                / (s.highFreqFactor() - s.lowFreqFactor());
        return (float) ((1 - smooth) * freq / s.factor() + smooth * freq);
    }

    /**
     * Writes the cosine and sine of every pair's angle at {@code position} to
     * {@code cos[offset + i]} and {@code sin[offset + i]}.
     */
    public static void angles(float[] inverseFrequencies, int position, float[] cos, float[] sin, int offset) {
        for (int i = 0; i < inverseFrequencies.length; i++) {
            float angle = position * inverseFrequencies[i];
            cos[offset + i] = (float) Math.cos(angle);
            sin[offset + i] = (float) Math.sin(angle);
        }
    }
}
