package dev.infera.core.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.SamplingParams;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Checks the sampler's temperature/top-p path against a literal, unoptimized rendering of the
 * llama2.c sampler written here in the test (full softmax, prefilter, full sort by probability, cut,
 * walk), so that the heap-based selection in {@link Sampler} provably makes the same choices.
 */
class RunCSamplerConformanceTest {

    @ParameterizedTest(name = "T={0} p={1} vocab={2}")
    @CsvSource({
        "1.0, 0.9, 512", "1.0, 0.95, 512", "1.0, 1.0, 512", "0.8, 0.5, 512", "1.3, 0.99, 512",
        "0.5, 0.9, 32000", "1.0, 0.3, 7", "2.0, 0.6, 2", "1.0, 1.0, 1"})
    void sameTokensAsTheReferenceAlgorithm(float temperature, float topP, int vocab) {
        long seed = 133742 + vocab;
        Random logitSource = new Random(vocab * 31L + (long) (topP * 1000));
        Sampler sampler = new Sampler(SamplingParams.builder().temperature(temperature).topP(topP)
                .seed(seed).build(), vocab);
        long[] referenceState = {seed};
        float[] logits = new float[vocab];
        int steps = vocab > 10_000 ? 60 : 600;
        for (int step = 0; step < steps; step++) {
            double scale = 0.5 + 4 * logitSource.nextDouble();
            for (int i = 0; i < vocab; i++) {
                // quantized logits make equal probabilities (ties) common
                logits[i] = step % 3 == 0 ? logitSource.nextInt(8) : (float) (logitSource.nextGaussian() * scale);
            }
            int expected = referenceSample(logits.clone(), vocab, temperature, topP, referenceState);
            assertThat(sampler.sample(logits, 0, vocab)).as("step %d", step).isEqualTo(expected);
        }
    }

    private record ProbIndex(float prob, int index) {
    }

    private static int referenceSample(float[] x, int n, float temperature, float topp, long[] state) {
        for (int i = 0; i < n; i++) {
            x[i] /= temperature;
        }
        float max = x[0];
        for (int i = 1; i < n; i++) {
            if (x[i] > max) {
                max = x[i];
            }
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.exp(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < n; i++) {
            x[i] /= sum;
        }
        float coin = nextFloat(state);
        if (topp <= 0 || topp >= 1) {
            float cdf = 0f;
            for (int i = 0; i < n; i++) {
                cdf += x[i];
                if (coin < cdf) {
                    return i;
                }
            }
            return n - 1;
        }
        float cutoff = (1.0f - topp) / (n - 1);
        ProbIndex[] kept = new ProbIndex[n];
        int n0 = 0;
        for (int i = 0; i < n; i++) {
            if (x[i] >= cutoff) {
                kept[n0++] = new ProbIndex(x[i], i);
            }
        }
        // Stable sort: equal probabilities keep ascending index order.
        Arrays.sort(kept, 0, n0, (a, b) -> Float.compare(b.prob(), a.prob()));
        float cumulative = 0f;
        int last = n0 - 1;
        for (int i = 0; i < n0; i++) {
            cumulative += kept[i].prob();
            if (cumulative > topp) {
                last = i;
                break;
            }
        }
        float r = coin * cumulative;
        float cdf = 0f;
        for (int i = 0; i <= last; i++) {
            cdf += kept[i].prob();
            if (r < cdf) {
                return kept[i].index();
            }
        }
        return kept[last].index();
    }

    private static float nextFloat(long[] state) {
        long s = state[0];
        s ^= s >>> 12;
        s ^= s << 25;
        s ^= s >>> 27;
        state[0] = s;
        int u32 = (int) ((s * 0x2545F4914F6CDD1DL) >>> 32);
        return (u32 >>> 8) / 16777216.0f;
    }
}
