package dev.infera.api;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * How the next tokens of one request are chosen and when its generation ends. Immutable and
 * validated on construction: a bad value throws {@link IllegalArgumentException} naming the field.
 *
 * <p>Token choice, in order: the repetition penalty (over prompt and generated tokens) and the
 * presence and frequency penalties (over generated tokens only) adjust the logits; a temperature of
 * 0 then takes the exact argmax (lowest token id on ties) and ignores the filters below. Otherwise
 * the logits are divided by the temperature and turned into probabilities; top-k keeps the
 * {@code topK} most likely tokens, min-p drops tokens less likely than {@code minP} times the most
 * likely one, and top-p keeps the shortest most-likely-first run of what remains whose probability,
 * renormalized over what remains, exceeds {@code topP}. The token is drawn from the final set in
 * proportion to its probability.
 *
 * @param temperature       0 = greedy argmax; otherwise &gt; 0 (finite)
 * @param topK              number of most likely tokens kept; 0 or -1 = off
 * @param topP              nucleus mass in (0, 1]; 1 = off
 * @param minP              in [0, 1): relative probability floor; 0 = off
 * @param repetitionPenalty &gt; 0; 1 = off. A token already in the prompt or output has a positive
 *                          logit divided by it and a negative logit multiplied by it
 * @param presencePenalty   in [-2, 2], subtracted once from the logit of every token generated so far
 * @param frequencyPenalty  in [-2, 2], subtracted per occurrence of a token generated so far
 * @param seed              random seed; the same seed and request give the same tokens. Empty =
 *                          a fresh random seed per request
 * @param stopTokenIds      token ids that end generation (in addition to the model's end-of-sequence)
 * @param stopStrings       texts that end generation; the returned text stops before them
 * @param maxTokens         most tokens to generate, &gt; 0
 * @param logprobs          {@link #LOGPROBS_OFF}, or N in [0, 20]: report the chosen token's log
 *                          probability and the N most likely alternatives
 * @param ignoreEos         keep generating past the model's end-of-sequence token
 */
public record SamplingParams(
        float temperature,
        int topK,
        float topP,
        float minP,
        float repetitionPenalty,
        float presencePenalty,
        float frequencyPenalty,
        OptionalLong seed,
        List<Integer> stopTokenIds,
        List<String> stopStrings,
        int maxTokens,
        int logprobs,
        boolean ignoreEos) {

    /** {@link #logprobs()} value meaning: do not compute log probabilities. */
    public static final int LOGPROBS_OFF = -1;
    /** Largest accepted {@link #logprobs()}. */
    public static final int MAX_LOGPROBS = 20;
    /** {@link #maxTokens()} when the builder is not told otherwise. */
    public static final int DEFAULT_MAX_TOKENS = 256;

    public SamplingParams {
        requireFinite("temperature", temperature);
        if (temperature < 0) {
            throw new IllegalArgumentException("temperature must be >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < -1) {
            throw new IllegalArgumentException("topK must be > 0, or 0 or -1 to turn it off, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1] (1 = off), got " + topP);
        }
        if (!(minP >= 0 && minP < 1)) {
            throw new IllegalArgumentException("minP must be in [0, 1) (0 = off), got " + minP);
        }
        requireFinite("repetitionPenalty", repetitionPenalty);
        if (repetitionPenalty <= 0) {
            throw new IllegalArgumentException("repetitionPenalty must be > 0 (1 = off), got " + repetitionPenalty);
        }
        requirePenaltyRange("presencePenalty", presencePenalty);
        requirePenaltyRange("frequencyPenalty", frequencyPenalty);
        Objects.requireNonNull(seed, "seed must not be null (use OptionalLong.empty())");
        stopTokenIds = List.copyOf(Objects.requireNonNull(stopTokenIds, "stopTokenIds must not be null"));
        for (Integer id : stopTokenIds) {
            if (id < 0) {
                throw new IllegalArgumentException("stopTokenIds must be >= 0, got " + id);
            }
        }
        stopStrings = List.copyOf(Objects.requireNonNull(stopStrings, "stopStrings must not be null"));
        for (String s : stopStrings) {
            requireWellFormedStop(s);
        }
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be > 0, got " + maxTokens);
        }
        if (logprobs != LOGPROBS_OFF && (logprobs < 0 || logprobs > MAX_LOGPROBS)) {
            throw new IllegalArgumentException("logprobs must be in [0, " + MAX_LOGPROBS + "] or "
                    + LOGPROBS_OFF + " (off), got " + logprobs);
        }
    }

    /** Greedy decoding (temperature 0) with all other settings at their defaults. */
    public static SamplingParams greedy() {
        return builder().temperature(0).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this object's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.repetitionPenalty = repetitionPenalty;
        b.presencePenalty = presencePenalty;
        b.frequencyPenalty = frequencyPenalty;
        b.seed = seed;
        b.stopTokenIds = stopTokenIds;
        b.stopStrings = stopStrings;
        b.maxTokens = maxTokens;
        b.logprobs = logprobs;
        b.ignoreEos = ignoreEos;
        return b;
    }

    /** True when temperature is 0: the argmax is taken and no random number is drawn. */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /** True when {@link #topK()} restricts anything. */
    public boolean topKEnabled() {
        return topK > 0;
    }

    /** True when log probabilities are requested. */
    public boolean logprobsEnabled() {
        return logprobs != LOGPROBS_OFF;
    }

    private static void requireFinite(String field, float value) {
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException(field + " must be a finite number, got " + value);
        }
    }

    private static void requirePenaltyRange(String field, float value) {
        if (!(value >= -2 && value <= 2)) {
            throw new IllegalArgumentException(field + " must be in [-2, 2] (0 = off), got " + value);
        }
    }

    private static void requireWellFormedStop(String s) {
        Objects.requireNonNull(s, "stopStrings must not contain null");
        if (s.isEmpty()) {
            throw new IllegalArgumentException("stopStrings must not contain an empty string");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("stopStrings entry " + quote(s)
                        + " contains an unpaired UTF-16 surrogate at index " + i);
            }
        }
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }

    /** Fluent builder; {@link #build()} validates. Defaults: temperature 1, every filter and penalty off. */
    public static final class Builder {
        private float temperature = 1.0f;
        private int topK = 0;
        private float topP = 1.0f;
        private float minP = 0.0f;
        private float repetitionPenalty = 1.0f;
        private float presencePenalty = 0.0f;
        private float frequencyPenalty = 0.0f;
        private OptionalLong seed = OptionalLong.empty();
        private List<Integer> stopTokenIds = List.of();
        private List<String> stopStrings = List.of();
        private int maxTokens = DEFAULT_MAX_TOKENS;
        private int logprobs = LOGPROBS_OFF;
        private boolean ignoreEos = false;

        private Builder() {
        }

        public Builder temperature(double value) {
            this.temperature = (float) value;
            return this;
        }

        public Builder topK(int value) {
            this.topK = value;
            return this;
        }

        public Builder topP(double value) {
            this.topP = (float) value;
            return this;
        }

        public Builder minP(double value) {
            this.minP = (float) value;
            return this;
        }

        public Builder repetitionPenalty(double value) {
            this.repetitionPenalty = (float) value;
            return this;
        }

        public Builder presencePenalty(double value) {
            this.presencePenalty = (float) value;
            return this;
        }

        public Builder frequencyPenalty(double value) {
            this.frequencyPenalty = (float) value;
            return this;
        }

        public Builder seed(long value) {
            this.seed = OptionalLong.of(value);
            return this;
        }

        public Builder noSeed() {
            this.seed = OptionalLong.empty();
            return this;
        }

        public Builder stopTokenIds(List<Integer> ids) {
            this.stopTokenIds = ids;
            return this;
        }

        public Builder stopStrings(List<String> strings) {
            this.stopStrings = strings;
            return this;
        }

        public Builder maxTokens(int value) {
            this.maxTokens = value;
            return this;
        }

        public Builder logprobs(int topN) {
            this.logprobs = topN;
            return this;
        }

        public Builder ignoreEos(boolean value) {
            this.ignoreEos = value;
            return this;
        }

        public SamplingParams build() {
            return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
                    frequencyPenalty, seed, stopTokenIds, stopStrings, maxTokens, logprobs, ignoreEos);
        }
    }
}
