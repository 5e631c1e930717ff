package dev.infera.api;

import java.util.List;
import java.util.Objects;

/**
 * Log probabilities reported for one generated token: the chosen token's and, most likely first, the
 * requested number of alternatives (which may include the chosen token itself). They are the natural
 * logarithm of the model's distribution after the repetition, presence and frequency penalties and
 * before temperature and the top-k / top-p / min-p filters, so they do not depend on those settings.
 *
 * @param tokenId the chosen token
 * @param logprob the chosen token's log probability (&lt;= 0)
 * @param top     the most likely tokens, most likely first (ties: lower id first)
 */
public record TokenLogprobs(int tokenId, float logprob, List<Candidate> top) {

    public TokenLogprobs {
        top = List.copyOf(Objects.requireNonNull(top, "top"));
    }

    /** One alternative token and its log probability. */
    public record Candidate(int tokenId, float logprob) {
    }
}
