package dev.infera.api;

/**
 * Receives one request's output as it is produced. Calls for one request come one at a time, in
 * order, on the engine's callback executor (never on the engine's own thread): every
 * {@link #onToken} first, then exactly one of {@link #onComplete} or {@link #onError}.
 *
 * <p>A listener that throws affects only its own request, and how depends on the call:
 * <ul>
 *   <li>{@link #onToken} throws: the request is stopped (its KV cache freed at the next step), no
 *       further {@code onToken} calls follow, {@link #onError} is called with a
 *       {@link GenerationFailedException} whose cause is the thrown exception and whose partial result
 *       holds what was generated, and the result future fails with that same exception;</li>
 *   <li>{@link #onComplete} throws: the request had already ended normally, so the exception is only
 *       logged (at WARN) and the result future still completes normally with the result;</li>
 *   <li>{@link #onError} throws: the exception is only logged, and the result future fails with the
 *       original error.</li>
 * </ul>
 */
public interface TokenListener {

    /** A generated token and the text it releases. */
    default void onToken(TokenChunk chunk) {
    }

    /** The request ended normally (stop token or string, max tokens, cancellation or deadline). */
    default void onComplete(GenerationResult result) {
    }

    /** The request failed; no further calls follow. */
    default void onError(Throwable error) {
    }

    /** A listener that ignores everything (use the handle's future for the result). */
    static TokenListener none() {
        return new TokenListener() {
        };
    }
}
