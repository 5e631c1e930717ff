package dev.infera.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One generation job: a prompt (text, or token ids for callers that tokenize themselves), how to
 * sample, and how to schedule it. Immutable; validated on construction.
 *
 * @param prompt      the prompt text, or null when {@code promptTokens} is given
 * @param promptTokens the prompt as token ids, or null when {@code prompt} is given
 * @param sampling    sampling and stop settings
 * @param priority    larger is served first under {@link SchedulingPolicy#PRIORITY}; 0 by default
 * @param deadline    when the request is ended with {@link FinishReason#DEADLINE}, or null for none
 * @param cacheSalt   requests with different salts never share cached prompt prefixes (isolates
 *                    tenants); null for the shared default
 */
public record GenerationRequest(String prompt, int[] promptTokens, SamplingParams sampling, int priority,
        Instant deadline, String cacheSalt) {

    public GenerationRequest {
        if ((prompt == null) == (promptTokens == null)) {
            throw new IllegalArgumentException("a request needs exactly one of prompt text and prompt token ids");
        }
        if (promptTokens != null) {
            if (promptTokens.length == 0) {
                throw new IllegalArgumentException("promptTokens must not be empty");
            }
            promptTokens = promptTokens.clone();
            for (int i = 0; i < promptTokens.length; i++) {
                if (promptTokens[i] < 0) {
                    throw new IllegalArgumentException("promptTokens[" + i + "] = " + promptTokens[i] + " is negative");
                }
            }
        }
        Objects.requireNonNull(sampling, "sampling must not be null");
    }

    /** A request for {@code prompt} with default settings (see {@link SamplingParams#builder()}). */
    public static GenerationRequest of(String prompt) {
        return builder().prompt(prompt).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The prompt token ids (a copy), or null when the prompt is text. */
    @Override
    public int[] promptTokens() {
        return promptTokens == null ? null : promptTokens.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationRequest r && Objects.equals(prompt, r.prompt)
                && Arrays.equals(promptTokens, r.promptTokens) && sampling.equals(r.sampling)
                && priority == r.priority && Objects.equals(deadline, r.deadline)
                && Objects.equals(cacheSalt, r.cacheSalt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(prompt, Arrays.hashCode(promptTokens), sampling, priority, deadline, cacheSalt);
    }

    @Override
    public String toString() {
        return "GenerationRequest[" + (prompt != null ? "prompt=" + prompt.length() + " chars"
                : "promptTokens=" + promptTokens.length) + ", sampling=" + sampling + ", priority=" + priority
                + ", deadline=" + deadline + ", cacheSalt=" + cacheSalt + "]";
    }

    /** Fluent builder; {@link #build()} validates. */
    public static final class Builder {
        private String prompt;
        private int[] promptTokens;
        private SamplingParams sampling = SamplingParams.builder().build();
        private int priority;
        private Instant deadline;
        private String cacheSalt;

        private Builder() {
        }

        public Builder prompt(String text) {
            this.prompt = Objects.requireNonNull(text, "prompt must not be null");
            this.promptTokens = null;
            return this;
        }

        public Builder promptTokens(int... tokenIds) {
            this.promptTokens = Objects.requireNonNull(tokenIds, "promptTokens must not be null").clone();
            this.prompt = null;
            return this;
        }

        public Builder sampling(SamplingParams params) {
            this.sampling = params;
            return this;
        }

        /** Shortcut for a sampling setting with only {@code maxTokens} changed. */
        public Builder maxTokens(int maxTokens) {
            this.sampling = sampling.toBuilder().maxTokens(maxTokens).build();
            return this;
        }

        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        public Builder deadline(Instant deadline) {
            this.deadline = deadline;
            return this;
        }

        /**
         * Sets the deadline to now plus {@code timeout}; a timeout reaching past {@link Instant#MAX}
         * gives {@code Instant.MAX} (the engine treats deadlines a century or more away as none).
         */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative()) {
                throw new IllegalArgumentException("timeout must be a non-negative duration, got " + timeout);
            }
            Instant now = Instant.now();
            this.deadline = timeout.compareTo(Duration.between(now, Instant.MAX)) >= 0 ? Instant.MAX : now.plus(timeout);
            return this;
        }

        public Builder cacheSalt(String salt) {
            this.cacheSalt = salt;
            return this;
        }

        public GenerationRequest build() {
            return new GenerationRequest(prompt, promptTokens, sampling, priority, deadline, cacheSalt);
        }
    }
}
