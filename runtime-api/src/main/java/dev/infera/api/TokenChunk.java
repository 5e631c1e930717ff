package dev.infera.api;

/**
 * One generated token as it is streamed: its id, the text it adds, and its log probabilities when
 * requested. The texts of a request's chunks, concatenated, equal its final
 * {@link GenerationResult#text()}: text that could still turn out to be part of a stop string, or an
 * incomplete UTF-8 character, is held back and arrives with a later chunk, so a chunk's text may be
 * empty.
 *
 * @param requestId the request's id
 * @param index     the token's position among the generated tokens, from 0
 * @param tokenId   the token
 * @param text      the text released with this token (possibly empty)
 * @param logprobs  the token's log probabilities, or null when not requested
 */
public record TokenChunk(long requestId, int index, int tokenId, String text, TokenLogprobs logprobs) {

    public TokenChunk {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null (use an empty string)");
        }
    }
}
