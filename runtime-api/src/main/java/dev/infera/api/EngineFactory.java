package dev.infera.api;

/**
 * Creates engines from a validated configuration. The implementation lives in {@code runtime-core}
 * and is found with {@link java.util.ServiceLoader} (registered in
 * {@code META-INF/services/dev.infera.api.EngineFactory}); applications use
 * {@link InferenceEngine#builder()} instead.
 */
public interface EngineFactory {

    /** Loads the model and starts an engine; failures are {@link InferaException}s or IllegalArgumentExceptions. */
    InferenceEngine create(EngineConfig config);
}
