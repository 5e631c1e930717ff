package dev.infera.api;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Where one request's time went, measured by the engine from submission.
 *
 * @param queueTime          from submission to the first step that computed any of its tokens
 * @param timeToFirstToken   from submission to its first generated token (zero if none)
 * @param timePerOutputToken mean gap between generated tokens after the first (zero if fewer than two)
 * @param interTokenGaps     each gap between consecutive generated tokens
 * @param endToEnd           from submission to completion
 */
public record GenerationTimings(Duration queueTime, Duration timeToFirstToken, Duration timePerOutputToken,
        List<Duration> interTokenGaps, Duration endToEnd) {

    public GenerationTimings {
        Objects.requireNonNull(queueTime, "queueTime");
        Objects.requireNonNull(timeToFirstToken, "timeToFirstToken");
        Objects.requireNonNull(timePerOutputToken, "timePerOutputToken");
        interTokenGaps = List.copyOf(Objects.requireNonNull(interTokenGaps, "interTokenGaps"));
        Objects.requireNonNull(endToEnd, "endToEnd");
    }
}
