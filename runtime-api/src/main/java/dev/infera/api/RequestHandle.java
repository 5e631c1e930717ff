package dev.infera.api;

import java.util.concurrent.CompletableFuture;

/** A submitted request: its id, a way to cancel it, and its result. */
public interface RequestHandle {

    /** The engine-assigned id, also carried by the request's chunks and result. */
    long id();

    /**
     * Asks the engine to stop the request. Its KV cache is freed at the next step and it completes
     * with {@link FinishReason#CANCELLED} and the text generated so far. No effect once it is done.
     */
    void cancel();

    /**
     * Completes with the result after the listener's last call; completes exceptionally with a
     * {@link GenerationFailedException}, {@link RequestTooLargeException} or
     * {@link EngineClosedException} when the request fails.
     *
     * <p>Cancelling this future cancels the request, and the future then ends cancelled (its
     * {@code get()} throws {@link java.util.concurrent.CancellationException}), but only after the
     * listener's last call ({@code onComplete} with {@link FinishReason#CANCELLED}, usually): so
     * {@code isDone()} may still be false for a moment after {@code cancel} returned true.
     * {@code cancel} returns false, changing nothing, once the request has reached its last callback.
     */
    CompletableFuture<GenerationResult> result();

    default boolean isDone() {
        return result().isDone();
    }
}
