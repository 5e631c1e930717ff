package dev.infera.core.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.infera.api.SamplingParams;
import dev.infera.api.TokenLogprobs;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SamplerPenaltiesAndLogprobsTest {

    private static final float[] LOGITS = {2.0f, -1.0f, 0.5f, -0.25f, 1.5f, 0.0f};
    private static final int VOCAB = LOGITS.length;

    /** Log-softmax in double, the independent expectation for logprobs. */
    private static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - log;
        }
        return out;
    }

    /** Samples once greedily with all logprobs reported; returns the logprob of every token. */
    private static double[] penalizedLogprobs(Sampler sampler) {
        sampler.sample(LOGITS, 0, VOCAB);
        TokenLogprobs lp = sampler.lastLogprobs();
        double[] byToken = new double[VOCAB];
        for (TokenLogprobs.Candidate c : lp.top()) {
            byToken[c.tokenId()] = c.logprob();
        }
        return byToken;
    }

    private static void assertLogprobsOf(double[] actual, float[] expectedLogits) {
        double[] expected = logSoftmax(expectedLogits);
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as("logprob of token %d", i).isCloseTo(expected[i], within(1e-5));
        }
    }

    @Test
    void logprobsAreTheLogSoftmaxWithTopNMostLikelyFirst() {
        Sampler s = new Sampler(SamplingParams.builder().temperature(0.3).topK(2).seed(4).logprobs(3).build(), VOCAB);
        int token = s.sample(LOGITS, 0, VOCAB);
        TokenLogprobs lp = s.lastLogprobs();
        double[] expected = logSoftmax(LOGITS);
        assertThat(lp.tokenId()).isEqualTo(token);
        assertThat((double) lp.logprob()).isCloseTo(expected[token], within(1e-6));
        assertThat(lp.top()).extracting(TokenLogprobs.Candidate::tokenId).containsExactly(0, 4, 2);
        for (TokenLogprobs.Candidate c : lp.top()) {
            assertThat((double) c.logprob()).isCloseTo(expected[c.tokenId()], within(1e-6));
        }
        Sampler chosenOnly = new Sampler(SamplingParams.builder().temperature(0).logprobs(0).build(), VOCAB);
        chosenOnly.sample(LOGITS, 0, VOCAB);
        assertThat(chosenOnly.lastLogprobs().top()).isEmpty();
        assertThat((double) chosenOnly.lastLogprobs().logprob()).isCloseTo(expected[0], within(1e-6));
        Sampler off = new Sampler(SamplingParams.greedy(), VOCAB);
        off.sample(LOGITS, 0, VOCAB);
        assertThat(off.lastLogprobs()).isNull();
    }

    @Test
    void logprobsStayAccurateOnALargeVocabulary() {
        int vocab = 150_000;
        float[] logits = new float[vocab];
        Random random = new Random(2);
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) random.nextGaussian() * 4;
        }
        Sampler s = new Sampler(SamplingParams.builder().temperature(0).logprobs(20).build(), vocab);
        int token = s.sample(logits, 0, vocab);
        double[] expected = logSoftmax(logits);
        assertThat((double) s.lastLogprobs().logprob()).isCloseTo(expected[token], within(1e-5));
        assertThat(s.lastLogprobs().top()).hasSize(20);
        assertThat(s.lastLogprobs().top().getFirst().tokenId()).isEqualTo(token);
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokens() {
        Sampler s = new Sampler(SamplingParams.builder().temperature(0).repetitionPenalty(2.0).logprobs(VOCAB).build(), VOCAB);
        s.addPromptTokens(new int[] {9, 0, 1, 1, 5}, 1, 4);
        float[] expected = LOGITS.clone();
        expected[0] = 2.0f / 2;
        expected[1] = -1.0f * 2;
        expected[5] = 0.0f;
        assertLogprobsOf(penalizedLogprobs(s), expected);
    }

    @Test
    void presenceAndFrequencyPenaltiesCountGeneratedTokensOnly() {
        Sampler s = new Sampler(SamplingParams.builder().temperature(0).presencePenalty(0.4).frequencyPenalty(0.3)
                .logprobs(VOCAB).build(), VOCAB);
        s.addPromptTokens(new int[] {0, 4, 4}, 0, 3);
        // Nothing generated yet: the prompt does not count, logits unchanged. Greedy picks token 0.
        assertLogprobsOf(penalizedLogprobs(s), LOGITS);
        float[] once = LOGITS.clone();
        once[0] -= 0.4f + 0.3f;
        assertLogprobsOf(penalizedLogprobs(s), once);
        float[] twice = LOGITS.clone();
        twice[0] -= 0.4f + 0.3f;
        twice[4] -= 0.4f + 0.3f;
        assertLogprobsOf(penalizedLogprobs(s), twice);
    }

    @Test
    void greedyDecodingWithFrequencyPenaltyCyclesAsTheCountsPredict() {
        Sampler s = new Sampler(SamplingParams.builder().temperature(0).frequencyPenalty(1.0).build(), 3);
        float[] logits = {3.0f, 2.5f, 0.0f};
        int[] got = new int[6];
        for (int i = 0; i < got.length; i++) {
            got[i] = s.sample(logits, 0, 3);
        }
        // 0 (3.0 -> 2.0), 1 (2.5 -> 1.5), 0 (2.0 -> 1.0), 1 (1.5 -> 0.5), 0 (1.0 -> 0.0),
        // then 0.5 for token 1 beats 0.0 for tokens 0 and 2: 1.
        assertThat(got).containsExactly(0, 1, 0, 1, 0, 1);
    }

    @Test
    void penaltiesWorkPastTheInitialTableSize() {
        int vocab = 5000;
        Sampler s = new Sampler(SamplingParams.builder().temperature(0).repetitionPenalty(1.5).build(), vocab);
        int[] prompt = new int[3000];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = i;
        }
        s.addPromptTokens(prompt, 0, prompt.length);
        float[] logits = new float[vocab];
        java.util.Arrays.fill(logits, 1.0f);
        logits[2999] = 1.4f;
        logits[3000] = 1.0f;
        // 2999 was in the prompt: 1.4 / 1.5 < 1.0, so the first unseen id with 1.0 wins.
        assertThat(s.sample(logits, 0, vocab)).isEqualTo(3000);
    }
}
