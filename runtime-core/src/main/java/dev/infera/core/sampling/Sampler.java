package dev.infera.core.sampling;

import dev.infera.api.SamplingParams;
import dev.infera.api.TokenLogprobs;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses the next token of one request from a row of logits, following its {@link SamplingParams}.
 * One sampler per request holds the request's state (random generator, penalty counts); the scratch
 * arrays live in a {@link SamplingWorkspace} that many samplers on one thread may share, so sampling a
 * token allocates nothing (unless log probabilities are requested: they are returned as objects).
 *
 * <p>Pipeline per token: copy the logits; apply the penalties; temperature 0 takes the argmax, lowest
 * id on ties, and draws no random number. Otherwise draw one coin in [0, 1) and, on the logits
 * divided by the temperature:
 * <ul>
 *   <li>no filter, or top-p alone: softmax over the whole vocabulary (float, maximum subtracted, each
 *       term divided by the float sum). Without top-p, walk the cumulative distribution in token-id
 *       order until it exceeds the coin. With top-p, collect the tokens at or above
 *       {@code (1 - topP) / (n - 1)} (a token below it can never be in the nucleus: all such tokens
 *       together hold less than {@code 1 - topP}), take them most likely first from a max-heap only
 *       until the cumulative probability exceeds {@code topP}, and walk that prefix with the coin
 *       times its probability;</li>
 *   <li>top-k and/or min-p: the k best logits come from a bounded heap (or a scan keeps the tokens
 *       min-p allows); only these candidates get an exponential, as weights relative to the most
 *       likely token, so no sum over the vocabulary is needed. Top-p then cuts the most-likely-first
 *       run at {@code topP} times the candidates' total weight, and the coin walks the kept ones.</li>
 * </ul>
 * With only temperature and top-p set, this is arithmetic for arithmetic the sampler of llama2.c
 * (same generator, softmax, prefilter, most-likely-first order, cut and walk), so a seed reproduces
 * that program's published outputs. Ties are ordered by lower token id, so the result is
 * deterministic. Temperatures so small that {@code logit / temperature} overflows act as greedy.
 *
 * <p>The sampled token is recorded for the penalties automatically. Not thread-safe.
 */
public final class Sampler {

    private final SamplingParams params;
    private final SamplingWorkspace workspace;
    private final XorShiftRandom random;
    private final TokenPenalties penalties;
    private TokenLogprobs lastLogprobs;
    private int numGenerated;

    /** A sampler with its own workspace for vocabularies of up to {@code vocabSize} tokens. */
    public Sampler(SamplingParams params, int vocabSize) {
        this(params, new SamplingWorkspace(vocabSize));
    }

    /** A sampler that uses a shared workspace (all its users must run on one thread). */
    public Sampler(SamplingParams params, SamplingWorkspace workspace) {
        this.params = Objects.requireNonNull(params, "params");
        this.workspace = Objects.requireNonNull(workspace, "workspace");
        this.random = params.isGreedy() ? null
                : new XorShiftRandom(params.seed().orElseGet(() -> ThreadLocalRandom.current().nextLong()));
        this.penalties = TokenPenalties.anyEnabled(params.repetitionPenalty(), params.presencePenalty(),
                params.frequencyPenalty())
                ? new TokenPenalties(params.repetitionPenalty(), params.presencePenalty(), params.frequencyPenalty())
                : null;
    }

    public SamplingParams params() {
        return params;
    }

    /** Records prompt tokens, which the repetition penalty counts as seen. */
    public void addPromptTokens(int[] tokenIds, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, tokenIds.length);
        if (penalties != null) {
            for (int i = offset; i < offset + length; i++) {
                penalties.addPromptToken(tokenIds[i]);
            }
        }
    }

    /** Number of tokens this sampler has chosen so far. */
    public int numGenerated() {
        return numGenerated;
    }

    /** Log probabilities of the last sampled token, or null when they were not requested. */
    public TokenLogprobs lastLogprobs() {
        return lastLogprobs;
    }

    /**
     * Chooses a token from {@code logits[offset .. offset + vocab)} (left unchanged) and records it.
     *
     * @throws IllegalArgumentException when the range is invalid, larger than the workspace, or the
     *                                  logits hold NaN or +Infinity or are all -Infinity
     */
    public int sample(float[] logits, int offset, int vocab) {
        if (vocab <= 0 || vocab > workspace.capacity()) {
            throw new IllegalArgumentException("vocab must be in [1, " + workspace.capacity()
                    + "] (the workspace's capacity), got " + vocab);
        }
        if (offset < 0 || offset > logits.length - vocab) {
            throw new IllegalArgumentException("logits range [" + offset + ", " + ((long) offset + vocab)
                    + ") is outside an array of length " + logits.length);
        }
        float[] work = workspace.logits;
        System.arraycopy(logits, offset, work, 0, vocab);
        if (penalties != null) {
            penalties.apply(work, vocab);
        }
        int argmax = checkedArgmax(work, vocab);
        int token = random == null ? argmax : draw(work, vocab, argmax);
        lastLogprobs = params.logprobsEnabled()
                ? Logprobs.compute(work, vocab, token, params.logprobs(), workspace.ranked)
                : null;
        if (penalties != null) {
            penalties.addGeneratedToken(token);
        }
        numGenerated++;
        return token;
    }

    private static int checkedArgmax(float[] work, int vocab) {
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            float v = work[i];
            if (v > bestValue) {
                if (v == Float.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException("logit of token " + i + " is +Infinity");
                }
                best = i;
                bestValue = v;
            } else if (v != v) {
                throw new IllegalArgumentException("logit of token " + i + " is NaN");
            }
        }
        if (best < 0) {
            throw new IllegalArgumentException("all " + vocab + " logits are -Infinity: no token can be chosen");
        }
        return best;
    }

    private int draw(float[] work, int vocab, int argmax) {
        float temperature = params.temperature();
        float max = work[argmax] / temperature;
        if (max == Float.POSITIVE_INFINITY) {
            return argmax;
        }
        float coin = random.nextFloat();
        if (vocab == 1) {
            return 0;
        }
        boolean topK = params.topK() > 0 && params.topK() < vocab;
        boolean minP = params.minP() > 0f;
        if (topK || minP) {
            return drawFromCandidates(work, vocab, max, coin, topK, minP);
        }
        float[] probs = workspace.probs;
        float sum = 0f;
        for (int i = 0; i < vocab; i++) {
            float e = (float) Math.exp(work[i] / temperature - max);
            probs[i] = e;
            sum += e;
        }
        for (int i = 0; i < vocab; i++) {
            probs[i] /= sum;
        }
        float topP = params.topP();
        if (topP >= 1f) {
            return walkProbabilities(probs, vocab, coin);
        }
        float floor = Math.min((1f - topP) / (vocab - 1), probs[argmax]);
        int count = RankedKeys.gather(probs, vocab, floor, workspace.candidates);
        return drawNucleus(workspace.candidates, count, topP, coin);
    }

    /**
     * Top-k and/or min-p: only the candidates need an exponential. Weights are relative to the most
     * likely token ({@code exp(logit / T - max)}, 1 for the top token), so min-p is a plain bound on
     * the weight and no normalizing sum over the vocabulary is needed.
     */
    private int drawFromCandidates(float[] work, int vocab, float max, float coin, boolean topK, boolean minP) {
        float temperature = params.temperature();
        float minWeight = params.minP();
        // A bound on logit / T - max a little below log(minP), so that rounding never drops a candidate;
        // the exact test is on the weight.
        float minScaled = minP ? (float) Math.log(minWeight) - 1e-3f : Float.NEGATIVE_INFINITY;
        long[] candidates = workspace.candidates;
        int count = 0;
        if (topK) {
            float logitFloor = minP ? (max + minScaled) * temperature : Float.NEGATIVE_INFINITY;
            int selected = RankedKeys.selectLargest(work, vocab, params.topK(), logitFloor, candidates);
            for (; count < selected; count++) {
                long key = candidates[count];
                float weight = (float) Math.exp(RankedKeys.value(key) / temperature - max);
                if (weight < minWeight) {
                    break;
                }
                candidates[count] = RankedKeys.key(weight, RankedKeys.tokenId(key));
            }
        } else {
            for (int i = 0; i < vocab; i++) {
                float scaled = work[i] / temperature - max;
                if (scaled >= minScaled) {
                    float weight = (float) Math.exp(scaled);
                    if (weight >= minWeight) {
                        candidates[count++] = RankedKeys.key(weight, i);
                    }
                }
            }
        }
        float mass = sumOf(candidates, count);
        float topP = params.topP();
        if (topP >= 1f) {
            return walkKeys(candidates, count, coin * mass);
        }
        if (!topK) {
            return drawNucleus(candidates, count, topP * mass, coin);
        }
        int kept = count;
        float cumulative = 0f;
        for (int i = 0; i < count; i++) {
            cumulative += RankedKeys.value(candidates[i]);
            if (cumulative > topP * mass) {
                kept = i + 1;
                break;
            }
        }
        return walkKeys(candidates, kept, coin * cumulative);
    }

    /**
     * Takes candidates most likely first from a max-heap until their cumulative weight exceeds
     * {@code target}, then walks that prefix with the coin scaled by its weight.
     */
    private int drawNucleus(long[] candidates, int count, float target, float coin) {
        long[] ranked = workspace.ranked;
        RankedKeys.heapifyMax(candidates, count);
        int kept = 0;
        float cumulative = 0f;
        for (int heapSize = count; heapSize > 0; heapSize--) {
            long key = RankedKeys.popMax(candidates, heapSize);
            ranked[kept++] = key;
            cumulative += RankedKeys.value(key);
            if (cumulative > target) {
                break;
            }
        }
        return walkKeys(ranked, kept, coin * cumulative);
    }

    /** First id whose cumulative probability exceeds {@code coin}; rounding leftovers go to the last possible id. */
    private static int walkProbabilities(float[] probs, int vocab, float coin) {
        float cdf = 0f;
        int lastPossible = 0;
        for (int i = 0; i < vocab; i++) {
            float p = probs[i];
            cdf += p;
            if (coin < cdf) {
                return i;
            }
            if (p > 0f) {
                lastPossible = i;
            }
        }
        return lastPossible;
    }

    private static int walkKeys(long[] keys, int count, float threshold) {
        float cdf = 0f;
        int lastPossible = RankedKeys.tokenId(keys[0]);
        for (int i = 0; i < count; i++) {
            float p = RankedKeys.value(keys[i]);
            cdf += p;
            if (threshold < cdf) {
                return RankedKeys.tokenId(keys[i]);
            }
            if (p > 0f) {
                lastPossible = RankedKeys.tokenId(keys[i]);
            }
        }
        return lastPossible;
    }

    private static float sumOf(long[] keys, int count) {
        float sum = 0f;
        for (int i = 0; i < count; i++) {
            sum += RankedKeys.value(keys[i]);
        }
        return sum;
    }
}
