package dev.infera.api;

import java.nio.file.Path;
import java.util.concurrent.Executor;

/**
 * The validated settings of an engine, as built by {@link InferenceEngineBuilder}.
 *
 * @param modelPath          the GGUF model file
 * @param backend            backend id: {@code auto}, {@code cpu}, {@code cuda}, ...
 * @param computeThreads     threads the backend may compute with
 * @param maxBatchTokens     token budget of one step
 * @param maxRunningRequests most requests running at once
 * @param kvCacheBytes       KV cache size in bytes, or 0 to size it otherwise
 * @param kvCacheTokens      KV cache size in tokens (rounded up to whole blocks), or 0 to size it otherwise;
 *                           at most one of {@code kvCacheBytes} and {@code kvCacheTokens} is set, and
 *                           with neither the cache is sized from free memory
 * @param blockSize          tokens per KV block
 * @param kvCacheType        element type of the KV cache
 * @param prefixCaching      whether common prompt prefixes share KV blocks
 * @param maxQueuedRequests  most requests waiting; beyond it submit throws {@link QueueFullException}
 * @param schedulingPolicy   service order
 * @param callbackExecutor   runs listener calls; null for an executor owned by the engine
 */
public record EngineConfig(Path modelPath, String backend, int computeThreads, int maxBatchTokens,
        int maxRunningRequests, long kvCacheBytes, int kvCacheTokens, int blockSize, KvCacheType kvCacheType, boolean prefixCaching, int maxQueuedRequests,
        SchedulingPolicy schedulingPolicy, Executor callbackExecutor) {
}
