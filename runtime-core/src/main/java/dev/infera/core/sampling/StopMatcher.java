package dev.infera.core.sampling;

import java.util.List;
import java.util.Objects;

/**
 * Finds a request's stop strings in its generated text as the text arrives in pieces (one delta per
 * token from the detokenizer), also when a stop string spans several pieces.
 *
 * <p>Invariant: text is released only once it is known that no stop string starts inside it. So each
 * call releases the new text except its longest tail that could still be the beginning of a stop
 * string; that tail is held back until later text decides it. When a stop string is found, the text
 * before it is released, the stop string and anything after it are dropped, and the matcher is done.
 * When generation ends for another reason, {@link #finish()} releases the held-back tail.
 *
 * <p>Stop strings are well-formed UTF-16 (checked by {@code SamplingParams}), so a match or a
 * held-back tail never starts inside a surrogate pair; a trailing high surrogate of the input is held
 * back as well. Released text therefore never splits a character.
 */
public final class StopMatcher {

    private final List<String> stopStrings;
    private final int longestStop;
    private final StringBuilder pending = new StringBuilder();
    private String matchedStop;
    private boolean finished;

    public StopMatcher(List<String> stopStrings) {
        this.stopStrings = List.copyOf(Objects.requireNonNull(stopStrings, "stopStrings"));
        int longest = 0;
        for (String s : this.stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
            longest = Math.max(longest, s.length());
        }
        this.longestStop = longest;
    }

    /** True once a stop string was found. */
    public boolean stopped() {
        return matchedStop != null;
    }

    /** The stop string that was found, or null. */
    public String matchedStop() {
        return matchedStop;
    }

    /**
     * Adds generated text; returns the text that can now be shown (possibly empty). After it returns
     * with {@link #stopped()} true, generation must end.
     */
    public String accept(String delta) {
        Objects.requireNonNull(delta, "delta");
        if (finished) {
            throw new IllegalStateException("the stop matcher already " + (stopped() ? "found a stop string" : "finished"));
        }
        pending.append(delta);
        if (stopStrings.isEmpty()) {
            return release(endsInHighSurrogate() ? 1 : 0);
        }
        int matchStart = Integer.MAX_VALUE;
        for (String stop : stopStrings) {
            int at = pending.indexOf(stop);
            if (at >= 0 && at < matchStart) {
                matchStart = at;
                matchedStop = stop;
            }
        }
        if (matchedStop != null) {
            finished = true;
            String released = pending.substring(0, matchStart);
            pending.setLength(0);
            return released;
        }
        return release(heldBackLength());
    }

    /** Ends the text: returns whatever was held back (empty after a stop string was found). */
    public String finish() {
        finished = true;
        String rest = pending.toString();
        pending.setLength(0);
        return rest;
    }

    /**
     * Ends the text after its last piece (such as the detokenizer's flushed tail) when generation
     * stopped for another reason than a stop string: returns what can now be shown, including the
     * held-back tail unless the last piece completed a stop string ({@link #stopped()} then says so).
     */
    public String finish(String lastDelta) {
        String released = accept(lastDelta);
        return stopped() ? released : released + finish();
    }

    private String release(int keep) {
        String released = pending.substring(0, pending.length() - keep);
        pending.delete(0, pending.length() - keep);
        return released;
    }

    /** Length of the longest tail of {@code pending} that is a proper prefix of some stop string. */
    private int heldBackLength() {
        int length = pending.length();
        for (int tail = Math.min(length, longestStop - 1); tail > 0; tail--) {
            int start = length - tail;
            for (String stop : stopStrings) {
                if (stop.length() > tail && regionMatches(start, stop, tail)) {
                    return tail;
                }
            }
        }
        return endsInHighSurrogate() ? 1 : 0;
    }

    private boolean regionMatches(int start, String stop, int length) {
        for (int i = 0; i < length; i++) {
            if (pending.charAt(start + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean endsInHighSurrogate() {
        return pending.length() > 0 && Character.isHighSurrogate(pending.charAt(pending.length() - 1));
    }
}
