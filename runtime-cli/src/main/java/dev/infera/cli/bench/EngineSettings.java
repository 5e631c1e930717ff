package dev.infera.cli.bench;

import dev.infera.api.InferenceEngine;
import dev.infera.api.InferenceEngineBuilder;
import dev.infera.api.KvCacheType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The engine options a benchmark runs with.
 *
 * @param kvCacheBytes 0 sizes the cache for the workload (see {@link #kvCacheTokensFor})
 */
public record EngineSettings(String backend, int threads, int maxBatchTokens, int maxRunningRequests,
        long kvCacheBytes, int blockSize, KvCacheType kvCacheType, boolean prefixCaching) {

    /**
     * The KV cache tokens for a run when no size in bytes was configured: room for every request that
     * can be in flight at once at its longest ({@code concurrentRequests}, capped by
     * {@code maxRunningRequests}, times the blocks of {@code maxTokensPerRequest}), plus, with the
     * prefix cache on, the full blocks of every shared prefix ({@code sharedPrefixes} of
     * {@code prefixTokens} each), so that a prefix stays cached between the requests that use it
     * instead of being evicted by the next request's blocks (with room only for the requests in
     * flight, one stream and 8 prefixes used in turn never hit). A cache sized this way never forces a
     * preemption; a smaller one given on purpose shows how the engine copes. The engine turns tokens
     * into bytes with its backend's own bytes per block, so the cache type needs no guessing here.
     */
    public int kvCacheTokensFor(int concurrentRequests, int maxTokensPerRequest, int sharedPrefixes, int prefixTokens) {
        long requests = Math.min(concurrentRequests, maxRunningRequests);
        long blocksPerRequest = (maxTokensPerRequest + (long) blockSize - 1) / blockSize;
        long prefixBlocks = prefixCaching ? (long) sharedPrefixes * (prefixTokens / blockSize) : 0;
        long tokens = (requests * blocksPerRequest + prefixBlocks) * blockSize;
        return (int) Math.min(tokens, (Integer.MAX_VALUE / blockSize) * (long) blockSize);
    }

    /** These settings on another backend (such as the one {@code auto} resolved to). */
    public EngineSettings withBackend(String id) {
        return new EngineSettings(id, threads, maxBatchTokens, maxRunningRequests, kvCacheBytes, blockSize, kvCacheType,
                prefixCaching);
    }

    /**
     * Starts an engine on {@code model} with the configured KV cache bytes, or when none were configured
     * a cache of {@code workloadTokens}, and room in its queue for {@code queuedRequests}.
     */
    public InferenceEngine start(Path model, int workloadTokens, int queuedRequests) {
        InferenceEngineBuilder b = InferenceEngine.builder();
        if (kvCacheBytes > 0) {
            b.kvCacheBytes(kvCacheBytes);
        } else {
            b.kvCacheTokens(workloadTokens);
        }
        return b.model(model).backend(backend).computeThreads(threads)
                .maxBatchTokens(maxBatchTokens).maxRunningRequests(maxRunningRequests)
                .blockSize(blockSize).kvCacheType(kvCacheType).prefixCaching(prefixCaching)
                .maxQueuedRequests(Math.max(InferenceEngineBuilder.DEFAULT_MAX_QUEUED_REQUESTS, queuedRequests))
                .build();
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", backend);
        m.put("threads", threads);
        m.put("max_batch_tokens", maxBatchTokens);
        m.put("max_running_requests", maxRunningRequests);
        m.put("kv_cache_bytes", kvCacheBytes == 0 ? "fit to workload" : kvCacheBytes);
        m.put("block_size", blockSize);
        m.put("kv_cache_type", kvCacheType.name().toLowerCase(Locale.ROOT));
        m.put("prefix_caching", prefixCaching);
        return m;
    }
}
