package dev.infera.core.backend;

import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelWeights;

/**
 * What a backend is created with: the model (its configuration and checked weights, which must stay
 * readable for the backend's lifetime) and how many compute threads it may run.
 */
public record BackendContext(ModelWeights weights, int numThreads) {

    public BackendContext {
        if (weights == null) {
            throw new IllegalArgumentException("weights must not be null");
        }
        if (numThreads < 1) {
            throw new IllegalArgumentException("numThreads must be at least 1, got " + numThreads);
        }
    }

    /** A context with one compute thread per available processor. */
    public static BackendContext of(ModelWeights weights) {
        return new BackendContext(weights, Runtime.getRuntime().availableProcessors());
    }

    public ModelConfig config() {
        return weights.config();
    }
}
