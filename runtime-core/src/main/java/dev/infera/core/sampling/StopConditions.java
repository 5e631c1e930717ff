package dev.infera.core.sampling;

import dev.infera.api.FinishReason;
import dev.infera.api.SamplingParams;
import java.util.Arrays;
import java.util.Objects;

/**
 * The token-level end conditions of one request: its stop token ids, the model's end-of-sequence
 * ids (unless the request ignores them), and its token limit. Stop strings are matched on text by a
 * {@link StopMatcher}. A stop token takes precedence over the limit when both apply to one token.
 */
public final class StopConditions {

    private final int[] stopTokenIds;
    private final int maxTokens;

    /**
     * @param params      the request's settings
     * @param eosTokenIds the model's end-of-sequence (and end-of-turn) token ids
     */
    public StopConditions(SamplingParams params, int[] eosTokenIds) {
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(eosTokenIds, "eosTokenIds");
        int[] ids = new int[params.stopTokenIds().size() + (params.ignoreEos() ? 0 : eosTokenIds.length)];
        int n = 0;
        for (int id : params.stopTokenIds()) {
            ids[n++] = id;
        }
        if (!params.ignoreEos()) {
            for (int id : eosTokenIds) {
                ids[n++] = id;
            }
        }
        Arrays.sort(ids);
        this.stopTokenIds = ids;
        this.maxTokens = params.maxTokens();
    }

    /** True when generating {@code tokenId} ends the request. */
    public boolean isStopToken(int tokenId) {
        return Arrays.binarySearch(stopTokenIds, tokenId) >= 0;
    }

    /** The token limit. */
    public int maxTokens() {
        return maxTokens;
    }

    /**
     * Why the request ends after generating {@code tokenId} as its {@code numGenerated}-th token, or
     * null when it goes on.
     */
    public FinishReason check(int tokenId, int numGenerated) {
        if (isStopToken(tokenId)) {
            return FinishReason.STOP_TOKEN;
        }
        if (numGenerated >= maxTokens) {
            return FinishReason.MAX_TOKENS;
        }
        return null;
    }
}
