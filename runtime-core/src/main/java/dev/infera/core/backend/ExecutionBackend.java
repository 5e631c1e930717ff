package dev.infera.core.backend;

/**
 * Runs one model's forward pass over flat batches of tokens from many sequences. The caller (the
 * engine thread) owns all scheduling: it sizes the paged KV cache once with {@link #allocateKvCache},
 * hands out its blocks, and describes each step as a {@link StepBatch} built against the returned
 * layout. A backend keeps no per-sequence state: everything it knows about a sequence arrives in the
 * batch (its block table and context length), so preemption, prefix sharing and chunked prefill need
 * nothing from it.
 *
 * <p>A backend is used by one thread at a time. {@link #close()} frees its native memory and threads.
 */
public interface ExecutionBackend extends AutoCloseable {

    /** Bytes one KV block of {@code blockSize} tokens takes across all layers, for sizing the cache. */
    long kvCacheBytesPerBlock(int blockSize);

    /**
     * Allocates the paged KV cache: {@code numBlocks} blocks of {@code blockSize} token slots each.
     * Calling it again frees the previous cache (its contents are lost); batches built against the old
     * layout are then rejected.
     */
    KvCacheLayout allocateKvCache(int numBlocks, int blockSize);

    /**
     * Runs the model over every token of the batch: writes each token's K/V to its slot, attends over
     * each sequence's context through its block table, and returns the logits of the sample rows. The
     * result's buffer belongs to the backend and stays valid only until the next call.
     *
     * @throws IllegalArgumentException when the batch was built for another KV layout or names a token
     *     id outside the vocabulary
     * @throws IllegalStateException when no KV cache is allocated or the backend is closed
     */
    StepResult execute(StepBatch batch);

    @Override
    void close();
}
