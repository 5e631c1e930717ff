package dev.infera.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RopeFrequenciesTest {

    private static ModelConfig config(float theta, int ropeDim, RopeScaling scaling) {
        return new ModelConfig(ModelArchitecture.LLAMA, 2048, 1, 32, 8, 64, 128, 100, 1e-5f, theta, ropeDim, scaling,
                131072);
    }

    @Test
    void unscaledFrequenciesFallGeometrically() {
        float[] inv = RopeFrequencies.inverseFrequencies(config(10000f, 64, RopeScaling.NONE), null);
        assertThat(inv).hasSize(32);
        assertThat(inv[0]).isEqualTo(1f);
        for (int i = 0; i < 32; i++) {
            assertThat((double) inv[i]).isCloseTo(Math.pow(10000, -2.0 * i / 64), within(1e-7));
        }
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        float[] plain = RopeFrequencies.inverseFrequencies(config(10000f, 64, RopeScaling.NONE), null);
        float[] lin = RopeFrequencies.inverseFrequencies(config(10000f, 64, RopeScaling.linear(4f)), null);
        for (int i = 0; i < plain.length; i++) {
            assertThat(lin[i]).isCloseTo(plain[i] / 4f, within(1e-9f));
        }
    }

    @Test
    void llama3ScalingKeepsHighAndDividesLowFrequencies() {
        RopeScaling s = RopeScaling.llama3(32f, 1f, 4f, 8192);
        float[] plain = RopeFrequencies.inverseFrequencies(config(500000f, 64, RopeScaling.NONE), null);
        float[] scaled = RopeFrequencies.inverseFrequencies(config(500000f, 64, s), null);
        int kept = 0;
        int divided = 0;
        int blended = 0;
        for (int i = 0; i < plain.length; i++) {
            double wavelength = 2 * Math.PI / plain[i];
            if (wavelength < 8192 / 4.0) {
                assertThat(scaled[i]).isEqualTo(plain[i]);
                kept++;
            } else if (wavelength > 8192 / 1.0) {
                assertThat(scaled[i]).isCloseTo(plain[i] / 32f, within(plain[i] * 1e-6f));
                divided++;
            } else {
                assertThat(scaled[i]).isBetween(plain[i] / 32f, plain[i]);
                blended++;
            }
        }
        assertThat(kept).isPositive();
        assertThat(divided).isPositive();
        assertThat(blended).isPositive();
    }

    @Test
    void divisorsAndAnglesApply() {
        float[] divisors = {1f, 2f, 4f, 8f};
        float[] inv = RopeFrequencies.inverseFrequencies(config(10000f, 8, RopeScaling.NONE), divisors);
        assertThat(inv[3]).isCloseTo((float) Math.pow(10000, -6.0 / 8) / 8f, within(1e-9f));
        float[] cos = new float[6];
        float[] sin = new float[6];
        RopeFrequencies.angles(inv, 7, cos, sin, 2);
        assertThat(cos[2]).isCloseTo((float) Math.cos(7), within(1e-7f));
        assertThat(sin[3]).isCloseTo((float) Math.sin(7 * inv[1]), within(1e-7f));
    }
}
