package dev.infera.cpu;

import dev.infera.api.KvCacheType;
import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepResult;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelWeights;
import dev.infera.cpu.kernels.WorkerPool;
import dev.infera.cpu.ops.PagedKvCache;
import java.util.function.Function;

/**
 * The CPU {@link ExecutionBackend}: runs a Llama-family model over {@link StepBatch}es on its own
 * worker threads (never the common ForkJoinPool), with its KV cache in one native allocation
 * ({@link PagedKvCache}: F32 for all-F32 models, F16 otherwise, or the type asked for). It owns the
 * pool, the cache and the activation scratch, and frees them on {@link #close()}. One thread calls it at a time (the engine thread).
 */
public final class CpuBackend implements ExecutionBackend {

    private final ModelConfig config;
    private final WorkerPool pool;
    private final CpuModel model;
    private final ForwardPass forward;
    private final int kvElementBytes;
    private PagedKvCache cache;
    private boolean closed;

    private CpuBackend(ModelWeights weights, int numThreads, KvCacheType kvCacheType,
            Function<WorkerPool, CpuKernels> kernels) {
        this.kvElementBytes = kvElementBytes(kvCacheType, weights);
        this.config = weights.config();
        WorkerPool workers = null;
        CpuModel loaded = null;
        try {
            workers = new WorkerPool(numThreads);
            CpuKernels chosen = kernels.apply(workers);
            // Each matrix is stored in the layout the matrix product reads fastest.
            loaded = new CpuModel(weights, chosen.matMul()::preferredLayout);
            this.forward = new ForwardPass(loaded, chosen, workers);
        } catch (RuntimeException | Error e) {
            if (workers != null) {
                workers.close();
            }
            if (loaded != null) {
                loaded.close();
            }
            throw e;
        }
        this.model = loaded;
        this.pool = workers;
    }

    /** The weights as loaded, in the layouts the kernels chose (for tests in this package). */
    CpuModel model() {
        return model;
    }

    /** The fast backend: Vector API kernels on {@code context.numThreads()} threads. */
    public static CpuBackend create(BackendContext context) {
        return new CpuBackend(context.weights(), context.numThreads(), context.kvCacheType(),
                pool -> CpuKernels.simd(pool, context.config().headDim()));
    }

    /** A backend with the given kernels, built on its pool (for cross-checks and benchmarks). */
    public static CpuBackend withKernels(ModelWeights weights, int numThreads, Function<WorkerPool, CpuKernels> kernels) {
        return withKernels(weights, numThreads, KvCacheType.AUTO, kernels);
    }

    /** A backend with the given kernels and KV cache type, built on its pool. */
    public static CpuBackend withKernels(ModelWeights weights, int numThreads, KvCacheType kvCacheType,
            Function<WorkerPool, CpuKernels> kernels) {
        return new CpuBackend(weights, numThreads, kvCacheType, kernels);
    }

    /** The all-scalar reference backend, single-threaded. */
    public static CpuBackend scalarReference(ModelWeights weights) {
        return scalarReference(weights, KvCacheType.AUTO);
    }

    /** The all-scalar reference backend with a KV cache of {@code kvCacheType}, single-threaded. */
    public static CpuBackend scalarReference(ModelWeights weights, KvCacheType kvCacheType) {
        return new CpuBackend(weights, 1, kvCacheType, pool -> CpuKernels.scalarReference());
    }

    /**
     * Bytes of one KV element for a requested type; BF16 is refused. {@code AUTO} follows the weights'
     * precision, as the CUDA backend does: F32 when every layer matrix is F32 (such a model matches the
     * scalar reference and F32 references to float precision), F16 for a model with any half-precision
     * or quantized layer matrix (llama.cpp's default cache type; half the memory and attention reads).
     */
    private static int kvElementBytes(KvCacheType type, ModelWeights weights) {
        return switch (type) {
            case AUTO -> weights.layerMatricesAllF32() ? Float.BYTES : Short.BYTES;
            case F32 -> Float.BYTES;
            case F16 -> Short.BYTES;
            case BF16 -> throw new IllegalArgumentException(
                    "the cpu backend stores its KV cache as F32 or F16, not " + type);
        };
    }

    @Override
    public long kvCacheBytesPerBlock(int blockSize) {
        return PagedKvCache.bytesPerBlock(config.numLayers(), config.numKvHeads(), config.headDim(), blockSize,
                kvElementBytes);
    }

    @Override
    public KvCacheLayout allocateKvCache(int numBlocks, int blockSize) {
        ensureOpen();
        KvCacheLayout layout = KvCacheLayout.forModel(config, numBlocks, blockSize, kvElementBytes);
        if (cache != null) {
            cache.close();
            cache = null;
        }
        cache = new PagedKvCache(layout);
        return layout;
    }

    @Override
    public StepResult execute(StepBatch batch) {
        ensureOpen();
        if (cache == null) {
            throw new IllegalStateException("no KV cache: call allocateKvCache before execute");
        }
        if (!batch.kvLayout().equals(cache.layout())) {
            throw new IllegalArgumentException("the batch was built for KV layout " + batch.kvLayout()
                    + ", but this backend's cache is " + cache.layout());
        }
        int vocab = config.vocabSize();
        for (int t = 0; t < batch.numTokens(); t++) {
            int id = batch.tokenId(t);
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " at row " + t
                        + " is outside the vocabulary 0.." + (vocab - 1));
            }
        }
        float[] logits = forward.run(batch, cache);
        return new StepResult(logits, batch.numSampleRows(), vocab);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the CPU backend is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pool.close();
        model.close();
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }
}
