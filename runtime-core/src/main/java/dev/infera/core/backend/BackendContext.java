package dev.infera.core.backend;

import dev.infera.api.KvCacheType;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelWeights;

/**
 * What a backend is created with: the model (its configuration and checked weights, which must stay
 * readable for the backend's lifetime), how many compute threads it may run, and the element type
 * asked for its KV cache. A backend that cannot store {@code kvCacheType} refuses to be created with
 * an {@link IllegalArgumentException} naming the types it can store.
 */
public record BackendContext(ModelWeights weights, int numThreads, KvCacheType kvCacheType) {

    public BackendContext {
        if (weights == null) {
            throw new IllegalArgumentException("weights must not be null");
        }
        if (numThreads < 1) {
            throw new IllegalArgumentException("numThreads must be at least 1, got " + numThreads);
        }
        if (kvCacheType == null) {
            throw new IllegalArgumentException("kvCacheType must not be null (AUTO lets the backend choose)");
        }
    }

    /** A context with the backend's own KV cache type. */
    public BackendContext(ModelWeights weights, int numThreads) {
        this(weights, numThreads, KvCacheType.AUTO);
    }

    /** A context with one compute thread per available processor. */
    public static BackendContext of(ModelWeights weights) {
        return new BackendContext(weights, Runtime.getRuntime().availableProcessors());
    }

    public ModelConfig config() {
        return weights.config();
    }
}
