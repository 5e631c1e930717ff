package dev.infera.core.engine;

import dev.infera.api.EngineConfig;
import dev.infera.api.EngineFactory;
import dev.infera.api.InferenceEngine;
import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.BackendProvider;
import dev.infera.core.backend.Backends;
import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.model.LoadedModel;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.tokenizer.Tokenizer;
import dev.infera.core.tokenizer.TokenizerGguf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EngineFactory} that {@code InferenceEngine.builder()} finds: opens the GGUF model, reads
 * its tokenizer, picks and creates the backend, sizes the KV cache and starts an {@link InferaEngine}.
 * Whatever was opened is closed again when a later part fails.
 */
public final class CoreEngineFactory implements EngineFactory {

    private static final Logger log = LoggerFactory.getLogger(CoreEngineFactory.class);

    @Override
    public InferenceEngine create(EngineConfig config) {
        LoadedModel model = LoadedModel.open(config.modelPath());
        ExecutionBackend backend = null;
        EngineComponents parts = null;
        int numBlocks;
        // Cleaned up on any failure, an Error such as OutOfMemoryError included.
        try {
            ModelConfig mc = model.config();
            Tokenizer tokenizer = TokenizerGguf.load(model.gguf().metadata());
            BackendProvider provider = Backends.select(config.backend());
            backend = provider.create(new BackendContext(model.weights(), config.computeThreads(),
                    config.kvCacheType()));
            long bytesPerBlock = backend.kvCacheBytesPerBlock(config.blockSize());
            long cacheBytes = KvCacheSizing.cacheBytes(config.kvCacheBytes(), config.kvCacheTokens(), bytesPerBlock,
                    config.blockSize(),
                    config.maxRunningRequests(), mc.contextLength());
            numBlocks = KvCacheSizing.numBlocks(cacheBytes, bytesPerBlock, config.blockSize());
            if (config.kvCacheBytes() == 0 && config.kvCacheTokens() == 0) {
                log.info("KV cache sized automatically: {} MiB ({} of free memory, at most {} requests x {} tokens)",
                        cacheBytes >> 20, KvCacheSizing.FREE_MEMORY_SHARE, config.maxRunningRequests(),
                        mc.contextLength());
            }
            String description = mc.architecture() + " model " + config.modelPath().getFileName() + " ("
                    + mc.numLayers() + " layers, vocab " + mc.vocabSize() + ", context " + mc.contextLength()
                    + ") on backend " + provider.id() + " with " + config.computeThreads() + " threads";
            parts = new EngineComponents(backend, tokenizer, mc.vocabSize(), mc.contextLength(), tokenizer.eogIds(),
                    model, description);
        } finally {
            if (parts == null) {
                closeQuietly(backend, model);
            }
        }
        // From here the engine owns the parts and closes them, also when it fails to start.
        return new InferaEngine(config, parts, numBlocks);
    }

    private static void closeQuietly(ExecutionBackend backend, LoadedModel model) {
        try {
            if (backend != null) {
                backend.close();
            }
        } catch (RuntimeException | Error e) {
            log.warn("closing the backend after a failed start failed", e);
        } finally {
            model.close();
        }
    }
}
