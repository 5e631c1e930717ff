package dev.infera.api;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * Serves many concurrent generation requests from one model: requests are batched token by token
 * (continuous batching), their KV cache lives in fixed-size blocks, and common prompt prefixes are
 * computed once and shared. Thread-safe: any thread may submit, cancel, or read stats.
 *
 * <pre>{@code
 * try (InferenceEngine engine = InferenceEngine.builder().model(Path.of("model.gguf")).build()) {
 *     GenerationResult r = engine.generate(GenerationRequest.of("Once upon a time")).join();
 *     System.out.println(r.text());
 * }
 * }</pre>
 */
public interface InferenceEngine extends AutoCloseable {

    /** A builder for an engine; the implementation is found on the class path when it builds. */
    static InferenceEngineBuilder builder() {
        return new InferenceEngineBuilder();
    }

    /**
     * Queues a request; never blocks. The listener receives its tokens on the callback executor.
     *
     * @throws IllegalArgumentException  when the request is invalid for this model (e.g. a token id
     *                                   outside the vocabulary); the message names the field
     * @throws QueueFullException        when {@code maxQueuedRequests} requests are already queued
     * @throws EngineClosedException     when the engine is closed
     */
    RequestHandle submit(GenerationRequest request, TokenListener listener);

    /** Queues a request and returns its result future (see {@link #submit}). */
    default CompletableFuture<GenerationResult> generate(GenerationRequest request) {
        return submit(request, TokenListener.none()).result();
    }

    /**
     * A cold publisher of the request's tokens: each subscription submits the request once and
     * receives its chunks, never more than it has requested, then {@code onComplete} (or
     * {@code onError} on failure). Cancelling the subscription cancels the request.
     */
    Flow.Publisher<TokenChunk> stream(GenerationRequest request);

    /**
     * Submits a whole batch, waiting for queue room as needed (so batches larger than the queue are
     * fine), and returns one future per request in input order. A failed request fails only its own
     * future: a request that cannot even be submitted (invalid for this model, or the engine closed
     * meanwhile) gets a future already failed with the exception {@link #submit} would have thrown,
     * and the requests after it are still submitted.
     */
    List<CompletableFuture<GenerationResult>> generateAll(List<GenerationRequest> requests);

    /** A snapshot of load and counters. */
    EngineStats stats();

    /**
     * Stops accepting requests, ends every request still in flight exactly once (those not finished
     * fail with {@link EngineClosedException}), waits for their listeners, and frees the model's and
     * KV cache's memory. Idempotent. Called from inside one of this engine's listeners, it waits for
     * every request but that listener's own (which cannot finish before the listener returns).
     */
    @Override
    void close();
}
