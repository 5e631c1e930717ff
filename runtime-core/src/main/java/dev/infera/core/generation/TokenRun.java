package dev.infera.core.generation;

import dev.infera.api.FinishReason;
import dev.infera.api.TokenLogprobs;
import java.util.List;

/**
 * What one run of {@link SequenceGenerator} produced.
 *
 * @param tokenIds     every generated token, including a final stop token when one ended the run
 * @param finishReason why the run ended
 * @param promptTokens number of prompt tokens
 * @param tokenNanos   for each generated token, the time from the start of the run until it was sampled
 * @param totalNanos   from the start of the run until it ended
 * @param logprobs     per generated token when requested, else empty
 */
public record TokenRun(int[] tokenIds, FinishReason finishReason, int promptTokens, long[] tokenNanos,
        long totalNanos, List<TokenLogprobs> logprobs) {

    public TokenRun {
        if (tokenNanos.length != tokenIds.length) {
            throw new IllegalArgumentException(tokenIds.length + " tokens but " + tokenNanos.length + " timestamps");
        }
        logprobs = List.copyOf(logprobs);
    }

    public int completionTokens() {
        return tokenIds.length;
    }

    /** Time to the first token (the prefill), or the whole run when nothing was generated. */
    public long timeToFirstTokenNanos() {
        return tokenIds.length == 0 ? totalNanos : tokenNanos[0];
    }

    /** From the first sampled token to the last. */
    public long decodeNanos() {
        return tokenIds.length < 2 ? 0 : tokenNanos[tokenIds.length - 1] - tokenNanos[0];
    }

    /** Tokens per second after the first one; 0 when fewer than two tokens were generated. */
    public double decodeTokensPerSecond() {
        long nanos = decodeNanos();
        return nanos <= 0 ? 0 : (tokenIds.length - 1) * 1e9 / nanos;
    }
}
