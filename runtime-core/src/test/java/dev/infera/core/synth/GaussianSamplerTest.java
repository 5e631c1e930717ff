package dev.infera.core.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class GaussianSamplerTest {

    /** Standard normal CDF via erf (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
    private static double phi(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        double t = 1 / (1 + 0.3275911 * z);
        double erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
                * Math.exp(-z * z);
        return 0.5 * (1 + Math.signum(x) * erf);
    }

    @Test
    void momentsAndHistogramMatchTheNormalDistribution() {
        int n = 2_000_000;
        GaussianSampler s = new GaussianSampler(12345);
        double sum = 0;
        double sum2 = 0;
        double sum4 = 0;
        double[] edges = {-4, -3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 4};
        long[] bins = new long[edges.length + 1];
        for (int i = 0; i < n; i++) {
            double x = s.next();
            sum += x;
            sum2 += x * x;
            sum4 += x * x * x * x;
            int b = 0;
            while (b < edges.length && x >= edges[b]) {
                b++;
            }
            bins[b]++;
        }
        double mean = sum / n;
        double var = sum2 / n - mean * mean;
        assertThat(mean).isCloseTo(0, within(0.003));
        assertThat(var).isCloseTo(1, within(0.004));
        assertThat(sum4 / n / (var * var)).as("kurtosis").isCloseTo(3, within(0.03));
        for (int b = 0; b <= edges.length; b++) {
            double lo = b == 0 ? 0 : phi(edges[b - 1]);
            double hi = b == edges.length ? 1 : phi(edges[b]);
            double expected = (hi - lo) * n;
            double sigma = Math.sqrt(expected);
            assertThat((double) bins[b]).as("bin %d", b).isCloseTo(expected, within(5 * sigma + 1));
        }
    }

    @Test
    void streamsAreSeededAndIndependent() {
        float[] a = new float[1000];
        float[] b = new float[1000];
        new GaussianSampler(7).fill(a, 0, a.length, 0f, 1f);
        new GaussianSampler(7).fill(b, 0, b.length, 0f, 1f);
        assertThat(a).containsExactly(b);
        new GaussianSampler(GaussianSampler.streamSeed(7, 1, 0)).fill(b, 0, b.length, 0f, 1f);
        assertThat(a).isNotEqualTo(b);
        // Neighbouring streams are uncorrelated.
        float[] c = new float[100_000];
        float[] d = new float[100_000];
        new GaussianSampler(GaussianSampler.streamSeed(7, 5, 0)).fill(c, 0, c.length, 0f, 1f);
        new GaussianSampler(GaussianSampler.streamSeed(7, 5, 1)).fill(d, 0, d.length, 0f, 1f);
        double dot = 0;
        for (int i = 0; i < c.length; i++) {
            dot += c[i] * d[i];
        }
        assertThat(dot / c.length).isCloseTo(0, within(0.02));
    }

    @Test
    void fillAppliesMeanAndStd() {
        float[] v = new float[200_000];
        new GaussianSampler(1).fill(v, 0, v.length, 1f, 0.02f);
        double sum = 0;
        double sum2 = 0;
        for (float x : v) {
            sum += x;
            sum2 += x * x;
        }
        double mean = sum / v.length;
        assertThat(mean).isCloseTo(1, within(0.0005));
        assertThat(Math.sqrt(sum2 / v.length - mean * mean)).isCloseTo(0.02, within(0.0003));
    }
}
