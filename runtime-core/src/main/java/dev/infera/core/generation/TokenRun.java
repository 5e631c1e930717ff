package dev.infera.core.generation;

import dev.infera.api.FinishReason;

/**
 * What one run of {@link SequenceGenerator} produced.
 *
 * @param tokenIds         every generated token, including a final stop token when one ended the run
 * @param finishReason     why the run ended
 * @param promptTokens     number of prompt tokens
 * @param timeToFirstNanos from the start of the run until the first token was sampled (prefill)
 * @param decodeNanos      from the first sampled token until the last
 */
public record TokenRun(int[] tokenIds, FinishReason finishReason, int promptTokens, long timeToFirstNanos,
        long decodeNanos) {

    public int completionTokens() {
        return tokenIds.length;
    }

    /** Tokens per second after the first one; 0 when fewer than two tokens were generated. */
    public double decodeTokensPerSecond() {
        return tokenIds.length < 2 || decodeNanos <= 0 ? 0 : (tokenIds.length - 1) * 1e9 / decodeNanos;
    }
}
