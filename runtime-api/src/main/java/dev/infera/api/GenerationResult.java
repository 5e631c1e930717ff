package dev.infera.api;

import java.util.List;
import java.util.Objects;

/**
 * What one request produced.
 *
 * @param requestId          the engine-assigned id
 * @param text               the generated text (without the stop string that ended it, if any)
 * @param tokenIds           every generated token id, including a final stop token
 * @param finishReason       why generation ended
 * @param promptTokens       tokens in the prompt
 * @param cachedPromptTokens prompt tokens whose KV came from the prefix cache
 * @param completionTokens   generated tokens ({@code tokenIds.size()})
 * @param timings            queue time, time to first token, time per token, gaps, end to end
 * @param logprobs           per generated token, when requested; empty otherwise
 */
public record GenerationResult(long requestId, String text, List<Integer> tokenIds, FinishReason finishReason,
        int promptTokens, int cachedPromptTokens, int completionTokens, GenerationTimings timings,
        List<TokenLogprobs> logprobs) {

    public GenerationResult {
        Objects.requireNonNull(text, "text");
        tokenIds = List.copyOf(Objects.requireNonNull(tokenIds, "tokenIds"));
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(timings, "timings");
        logprobs = List.copyOf(Objects.requireNonNull(logprobs, "logprobs"));
        if (completionTokens != tokenIds.size()) {
            throw new IllegalArgumentException("completionTokens " + completionTokens + " differs from the "
                    + tokenIds.size() + " token ids");
        }
    }
}
