package dev.infera.core.sampling;

import dev.infera.api.TokenLogprobs;
import java.util.ArrayList;
import java.util.List;

/**
 * Log-softmax of one row of logits, reported for the chosen token and the N most likely tokens. The
 * normalizer is accumulated in double (log-sum-exp around the maximum), so the values stay accurate
 * over vocabularies of 100k+ tokens where a float sum would lose the small terms.
 */
final class Logprobs {

    private Logprobs() {
    }

    /**
     * @param logits  the logits to normalize, {@code logits[0..vocab)}, all finite or -Infinity
     * @param chosen  the sampled token
     * @param topN    how many alternatives to report, in [0, 20]
     * @param scratch at least {@code topN} longs, overwritten
     */
    static TokenLogprobs compute(float[] logits, int vocab, int chosen, int topN, long[] scratch) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp((double) logits[i] - max);
        }
        double logNormalizer = max + Math.log(sum);
        int count = RankedKeys.selectLargest(logits, vocab, topN, Float.NEGATIVE_INFINITY, scratch);
        List<TokenLogprobs.Candidate> top = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long key = scratch[i];
            top.add(new TokenLogprobs.Candidate(RankedKeys.tokenId(key),
                    logprob(RankedKeys.value(key), logNormalizer)));
        }
        return new TokenLogprobs(chosen, logprob(logits[chosen], logNormalizer), top);
    }

    private static float logprob(float logit, double logNormalizer) {
        return (float) Math.min(0.0, logit - logNormalizer);
    }
}
