package dev.infera.core.generation;

import dev.infera.api.FinishReason;
import dev.infera.api.TokenLogprobs;

/** Receives each generated token that belongs to the output (stop tokens are not passed on). */
@FunctionalInterface
public interface TokenSink {

    /**
     * Called once per generated token, in order.
     *
     * @param logprobs the token's log probabilities, or null when not requested
     * @return null to go on, or the reason to end the run now (e.g. a stop string was found in the text)
     */
    FinishReason onToken(int tokenId, TokenLogprobs logprobs);
}
