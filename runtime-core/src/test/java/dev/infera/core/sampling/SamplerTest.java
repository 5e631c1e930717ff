package dev.infera.core.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.infera.api.SamplingParams;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SamplerTest {

    private static final float[] LOGITS = {1.0f, 2.5f, 0.3f, 2.0f, -1.0f, 1.7f, 0.0f, 2.2f, -0.5f, 1.2f};

    @Test
    void greedyPicksTheArgmaxAndTheLowestIdOnTies() {
        Sampler greedy = new Sampler(SamplingParams.greedy(), 16);
        assertThat(greedy.sample(LOGITS, 0, LOGITS.length)).isEqualTo(1);
        assertThat(greedy.sample(new float[] {0f, 3f, 1f, 3f, 3f}, 0, 5)).isEqualTo(1);
        assertThat(greedy.sample(new float[] {Float.NEGATIVE_INFINITY, -7f, -7f}, 0, 3)).isEqualTo(1);
        float[] padded = {9f, 9f, 0.5f, 0.25f, 0.75f, 9f};
        assertThat(greedy.sample(padded, 2, 3)).isEqualTo(2);
        assertThat(greedy.numGenerated()).isEqualTo(4);
    }

    @Test
    void greedyOnRandomLogitsMatchesArgmaxAndTopKOneEqualsGreedy() {
        Random random = new Random(5);
        int vocab = 1000;
        Sampler greedy = new Sampler(SamplingParams.greedy(), vocab);
        Sampler topOne = new Sampler(SamplingParams.builder().temperature(1.5).topK(1).seed(1).build(), vocab);
        Sampler topOneWithOthers = new Sampler(SamplingParams.builder().topK(1).topP(0.3).minP(0.2).seed(2).build(), vocab);
        float[] logits = new float[vocab];
        for (int trial = 0; trial < 200; trial++) {
            for (int i = 0; i < vocab; i++) {
                logits[i] = (float) random.nextGaussian() * 3;
            }
            int argmax = 0;
            for (int i = 1; i < vocab; i++) {
                if (logits[i] > logits[argmax]) {
                    argmax = i;
                }
            }
            assertThat(greedy.sample(logits, 0, vocab)).isEqualTo(argmax);
            assertThat(topOne.sample(logits, 0, vocab)).isEqualTo(argmax);
            assertThat(topOneWithOthers.sample(logits, 0, vocab)).isEqualTo(argmax);
        }
    }

    @Test
    void inputLogitsAreNotModified() {
        float[] logits = LOGITS.clone();
        Sampler s = new Sampler(SamplingParams.builder().temperature(0.7).topP(0.8).topK(5)
                .repetitionPenalty(1.3).seed(3).logprobs(3).build(), 16);
        s.addPromptTokens(new int[] {1, 3}, 0, 2);
        s.sample(logits, 0, logits.length);
        assertThat(logits).containsExactly(LOGITS);
    }

    static Stream<Arguments> filters() {
        return Stream.of(
                Arguments.of(1.0, 0, 1.0, 0.0),
                Arguments.of(0.7, 0, 1.0, 0.0),
                Arguments.of(1.0, 3, 1.0, 0.0),
                Arguments.of(1.0, 0, 0.6, 0.0),
                Arguments.of(1.4, 0, 0.9, 0.0),
                Arguments.of(1.0, 0, 1.0, 0.3),
                Arguments.of(1.0, 5, 0.7, 0.0),
                Arguments.of(0.8, 0, 0.85, 0.1),
                Arguments.of(1.2, 6, 0.8, 0.15));
    }

    /** Empirical frequencies over many seeded draws equal the exact renormalized probabilities. */
    @ParameterizedTest(name = "T={0} k={1} p={2} minP={3}")
    @MethodSource("filters")
    void drawsFollowTheFilteredRenormalizedDistribution(double temperature, int topK, double topP, double minP) {
        double[] expected = expectedDistribution(LOGITS, temperature, topK, topP, minP);
        Sampler s = new Sampler(SamplingParams.builder().temperature(temperature).topK(topK).topP(topP).minP(minP)
                .seed(20240601L + topK).build(), LOGITS.length);
        int draws = 200_000;
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < draws; i++) {
            counts[s.sample(LOGITS, 0, LOGITS.length)]++;
        }
        for (int t = 0; t < LOGITS.length; t++) {
            if (expected[t] == 0) {
                assertThat(counts[t]).as("token %d is outside the kept set", t).isZero();
            } else {
                assertThat(counts[t] / (double) draws).as("frequency of token %d", t).isCloseTo(expected[t], within(0.006));
            }
        }
    }

    /** The specification, computed independently in double: top-k, then min-p, then renormalized top-p. */
    static double[] expectedDistribution(float[] logits, double temperature, int topK, double topP, double minP) {
        int n = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l / temperature);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(logits[i] / temperature - max);
            sum += p[i];
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int kept = topK > 0 ? Math.min(topK, n) : n;
        int aboveMinP = 0;
        while (aboveMinP < kept && p[order[aboveMinP]] >= minP * p[order[0]]) {
            aboveMinP++;
        }
        kept = aboveMinP;
        double mass = 0;
        for (int i = 0; i < kept; i++) {
            mass += p[order[i]];
        }
        if (topP < 1) {
            double cumulative = 0;
            for (int i = 0; i < kept; i++) {
                cumulative += p[order[i]];
                if (cumulative > topP * mass) {
                    kept = i + 1;
                    break;
                }
            }
        }
        double keptMass = 0;
        for (int i = 0; i < kept; i++) {
            keptMass += p[order[i]];
        }
        double[] result = new double[n];
        for (int i = 0; i < kept; i++) {
            result[order[i]] = p[order[i]] / keptMass;
        }
        return result;
    }

    @Test
    void filtersRestrictTheSupportOnALargeVocabulary() {
        int vocab = 150_000;
        Random random = new Random(11);
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) random.nextGaussian() * 2;
        }
        Integer[] order = new Integer[vocab];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int[] rank = new int[vocab];
        for (int r = 0; r < vocab; r++) {
            rank[order[r]] = r;
        }
        Sampler topK = new Sampler(SamplingParams.builder().topK(40).seed(1).build(), vocab);
        Sampler topP = new Sampler(SamplingParams.builder().temperature(0.5).topP(0.5).seed(2).build(), vocab);
        double[] expectedTopP = expectedDistribution(logits, 0.5, 0, 0.5, 0);
        int maxRankTopK = 0;
        for (int i = 0; i < 300; i++) {
            maxRankTopK = Math.max(maxRankTopK, rank[topK.sample(logits, 0, vocab)]);
            assertThat(expectedTopP[topP.sample(logits, 0, vocab)]).isPositive();
        }
        assertThat(maxRankTopK).isBetween(20, 39);
    }

    @Test
    void topPSmallerThanAnyProbabilityStillReturnsTheMostLikelyToken() {
        Sampler s = new Sampler(SamplingParams.builder().topP(0.01).seed(9).build(), 4);
        for (int i = 0; i < 50; i++) {
            assertThat(s.sample(new float[] {1f, 1f, 1f, 1f}, 0, 4)).isZero();
            assertThat(s.sample(new float[] {1f, 1.001f, 1f, 1f}, 0, 4)).isEqualTo(1);
        }
    }

    @Test
    void sameSeedGivesTheSameSequenceAndOtherSeedsDiffer() {
        float[] logits = new float[64];
        Random random = new Random(3);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        SamplingParams params = SamplingParams.builder().temperature(0.9).topP(0.95).seed(1234).build();
        int[] a = draw(new Sampler(params, 64), logits, 100);
        int[] b = draw(new Sampler(params, new SamplingWorkspace(100)), logits, 100);
        int[] c = draw(new Sampler(params.toBuilder().seed(1235).build(), 64), logits, 100);
        assertThat(b).containsExactly(a);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void samplersSharingAWorkspaceDoNotDisturbEachOther() {
        SamplingWorkspace shared = new SamplingWorkspace(LOGITS.length);
        SamplingParams p1 = SamplingParams.builder().topK(4).seed(1).frequencyPenalty(0.5).build();
        SamplingParams p2 = SamplingParams.builder().topP(0.8).seed(2).repetitionPenalty(1.2).build();
        Sampler a = new Sampler(p1, shared);
        Sampler b = new Sampler(p2, shared);
        int[] interleavedA = new int[50];
        int[] interleavedB = new int[50];
        for (int i = 0; i < 50; i++) {
            interleavedA[i] = a.sample(LOGITS, 0, LOGITS.length);
            interleavedB[i] = b.sample(LOGITS, 0, LOGITS.length);
        }
        assertThat(draw(new Sampler(p1, LOGITS.length), LOGITS, 50)).containsExactly(interleavedA);
        assertThat(draw(new Sampler(p2, LOGITS.length), LOGITS, 50)).containsExactly(interleavedB);
    }

    private static int[] draw(Sampler s, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = s.sample(logits, 0, logits.length);
        }
        return out;
    }

    @Test
    void invalidLogitsAndRangesAreRejected() {
        Sampler s = new Sampler(SamplingParams.builder().seed(1).build(), 4);
        assertThatThrownBy(() -> s.sample(new float[] {0f, Float.NaN, 1f}, 0, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token 1").hasMessageContaining("NaN");
        assertThatThrownBy(() -> s.sample(new float[] {0f, 1f, Float.POSITIVE_INFINITY}, 0, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token 2");
        assertThatThrownBy(() -> s.sample(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-Infinity");
        assertThatThrownBy(() -> s.sample(new float[5], 0, 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity");
        assertThatThrownBy(() -> s.sample(new float[4], 2, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> new SamplingWorkspace(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(s.numGenerated()).isZero();
    }

    @Test
    void tinyTemperatureActsAsGreedyInsteadOfOverflowing() {
        Sampler s = new Sampler(SamplingParams.builder().temperature(1e-40).seed(4).build(), 4);
        assertThat(s.sample(new float[] {1f, 30f, 29.9f, 2f}, 0, 4)).isEqualTo(1);
    }

    @Test
    void samplingDoesNotAllocateInTheSteadyState() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int vocab = 50_000;
        float[] logits = new float[vocab];
        Random random = new Random(8);
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) random.nextGaussian() * 3;
        }
        Sampler s = new Sampler(SamplingParams.builder().temperature(0.8).topK(50).topP(0.9).minP(0.01)
                .repetitionPenalty(1.1).presencePenalty(0.2).seed(5).build(), vocab);
        Sampler nucleus = new Sampler(SamplingParams.builder().topP(0.9).seed(6).build(), vocab);
        for (int i = 0; i < 300; i++) {
            s.sample(logits, 0, vocab);
            nucleus.sample(logits, 0, vocab);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100; i++) {
            s.sample(logits, 0, vocab);
            nucleus.sample(logits, 0, vocab);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated by 200 samples").isLessThan(4096);
    }
}
