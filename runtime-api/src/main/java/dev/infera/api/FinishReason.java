package dev.infera.api;

import java.util.Locale;

/** Why the generation of one request ended. */
public enum FinishReason {
    /** The model produced its end-of-sequence token or one of the request's stop token ids. */
    STOP_TOKEN,
    /** The generated text reached one of the request's stop strings (the text ends before it). */
    STOP_STRING,
    /** The request generated its maximum number of tokens (or reached the model's context length). */
    MAX_TOKENS,
    /** The caller cancelled the request. */
    CANCELLED,
    /** The request's deadline passed before it finished. */
    DEADLINE,
    /** The request failed; the result carries the cause. */
    ERROR;

    /** The lower-case name used in JSON output, e.g. {@code stop_token}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
