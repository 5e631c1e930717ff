package dev.infera.cuda;

import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepResult;
import dev.infera.core.model.ModelConfig;
import dev.infera.cuda.driver.CudaDriver;
import dev.infera.cuda.driver.CudaException;
import dev.infera.cuda.driver.CudaLibraries;
import dev.infera.cuda.driver.Cublas;
import dev.infera.cuda.plan.Arg;
import dev.infera.cuda.plan.AttentionConfig;
import dev.infera.cuda.plan.Buffer;
import dev.infera.cuda.plan.GraphBuckets;
import dev.infera.cuda.plan.MetadataLayout;
import dev.infera.cuda.plan.ModelShape;
import dev.infera.cuda.plan.StepMetadata;
import dev.infera.cuda.plan.StepPlanner;
import dev.infera.cuda.plan.StepShape;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The CUDA {@link ExecutionBackend}: runs a Llama-family model on the first GPU with the kernels of
 * {@code src/main/cuda} and cuBLAS, through the driver API.
 *
 * <p>What lives where. The weights are uploaded once when the backend is created ({@link DeviceWeights}:
 * fused QKV and gate/up matrices, kept in their file format when the device has one, else converted).
 * The paged KV cache is one device allocation sized by the engine ({@link #allocateKvCache}), laid out
 * like the CPU cache. Activations live in one scratch allocation that grows when a step needs more
 * ({@link StepBuffers}). Nothing about a sequence is kept between steps: each step's token ids,
 * positions, slots, block tables and sample rows are written to page-locked host memory and uploaded in
 * one copy, then the launches read them from the device.
 *
 * <p>How a step runs. The {@link StepPlanner} turns the step's shape into kernel launches and GEMMs; the
 * {@link LaunchExecutor} issues them on the backend's stream. A pure decode step (one new token per
 * sequence, every row sampled) is padded to a bucket of sequences and replays a CUDA graph captured the
 * first time that bucket and block-table stride came up ({@link GraphCache}): a decode step then costs
 * one metadata copy, one graph launch and one logits copy. Other steps (prefill, mixed) run their
 * launches directly. Logits of the sample rows are copied back into a heap array that the next step
 * reuses, as the SPI specifies.
 *
 * <p>Threads. The driver binds a context per thread; every public method makes the device's primary
 * context current first, so the engine thread may differ from the thread that created the backend. One
 * thread calls the backend at a time.
 */
public final class CudaBackend implements ExecutionBackend {

    /** Quantized matrices are expanded to BF16 for cuBLAS in row chunks of at most this many bytes. */
    static final long DEQUANT_CHUNK_BYTES = 64L << 20;
    /** cuBLAS's own workspace, fixed so captured GEMMs never allocate. */
    static final long CUBLAS_WORKSPACE_BYTES = 32L << 20;

    private final ModelConfig config;
    private final ModelShape shape;
    private final AttentionConfig attention;
    private final Gpu gpu;
    private final long dequantChunkBytes;
    private final LaunchExecutor executor;
    private final DeviceWeights weights;
    private final StepBuffers buffers;
    private final GraphCache graphs;
    private final GraphBuckets buckets = GraphBuckets.defaults();
    private final LaunchExecutor.Addresses addresses;
    private KvCacheLayout kvLayout;
    private long kvPointer;
    private StepPlanner planner;
    private boolean closed;

    /**
     * A backend on {@code gpu}, which it owns from here on (and closes); quantized matrices are
     * expanded for cuBLAS in chunks of at most {@code dequantChunkBytes}.
     */
    CudaBackend(BackendContext context, Gpu gpu, long dequantChunkBytes) {
        this.config = context.config();
        this.dequantChunkBytes = dequantChunkBytes;
        this.gpu = gpu;
        this.executor = new LaunchExecutor(gpu);
        ModelShape modelShape;
        AttentionConfig attentionConfig;
        DeviceWeights uploaded = null;
        StepBuffers scratch = null;
        try {
            modelShape = ModelShape.of(context.weights(), context.kvCacheType());
            attentionConfig = AttentionConfig.choose(modelShape);
            uploaded = DeviceWeights.upload(gpu, context.weights(), modelShape);
            scratch = new StepBuffers(gpu, modelShape, attentionConfig, dequantChunkBytes);
        } catch (RuntimeException e) {
            closeQuietly(uploaded, e);
            closeQuietly(scratch, e);
            closeQuietly(gpu, e);
            throw e;
        }
        this.shape = modelShape;
        this.attention = attentionConfig;
        this.weights = uploaded;
        this.buffers = scratch;
        this.graphs = new GraphCache(gpu);
        this.addresses = new LaunchExecutor.Addresses() {
            @Override
            public long of(Arg.Ptr p) {
                return p.buffer() == Buffer.KV_CACHE ? kvPointer + p.byteOffset() : buffers.address(p.buffer(), p.byteOffset());
            }

            @Override
            public long of(Arg.Weight w) {
                return weights.pointer(w.layer(), w.kind(), w.scales());
            }
        };
    }

    /** Opens the GPU (device 0), loads the kernels and cuBLAS, and uploads the model's weights. */
    public static CudaBackend create(BackendContext context) {
        CudaDriver driver = CudaLibraries.driver().require();
        Cublas cublas = CudaLibraries.cublas().require();
        DeviceSession session = DeviceSession.open(driver, cublas, 0, CUBLAS_WORKSPACE_BYTES);
        return new CudaBackend(context, session, DEQUANT_CHUNK_BYTES);
    }

    /** The model's shape on the device (formats chosen, KV element type). */
    public ModelShape shape() {
        return shape;
    }

    /** The GPU's name. */
    public String deviceName() {
        return gpu.deviceName();
    }

    /** Decode steps replayed from a captured CUDA graph so far. */
    public long graphReplays() {
        return graphs.replays();
    }

    /** CUDA graphs captured so far (a key is captured again after the buffers move). */
    public long graphCaptures() {
        return graphs.captures();
    }

    @Override
    public long kvCacheBytesPerBlock(int blockSize) {
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be at least 1 token, got " + blockSize);
        }
        return KvCacheLayout.bytesPerBlock(config, blockSize, shape.kvType().bytes());
    }

    @Override
    public KvCacheLayout allocateKvCache(int numBlocks, int blockSize) {
        ensureOpen();
        KvCacheLayout layout = KvCacheLayout.forModel(config, numBlocks, blockSize, shape.kvType().bytes());
        gpu.makeCurrent();
        graphs.clear();
        freeKvCache();
        long free = gpu.freeMemory();
        if (layout.totalBytes() > free) {
            throw new CudaException("a KV cache of " + (layout.totalBytes() >> 20) + " MiB (" + numBlocks + " blocks of "
                    + blockSize + " tokens) does not fit in the " + (free >> 20) + " MiB free on " + gpu.deviceName()
                    + "; give the engine a smaller KV cache budget");
        }
        kvPointer = gpu.malloc(layout.totalBytes());
        gpu.fillAsync(kvPointer, 0, layout.totalBytes() / 4);
        gpu.synchronize();
        kvLayout = layout;
        planner = new StepPlanner(shape, layout, attention, dequantChunkBytes);
        return layout;
    }

    @Override
    public StepResult execute(StepBatch batch) {
        int samples = run(batch, false);
        float[] logits = buffers.logits();
        int n = samples * shape.vocab();
        if (n > 0) {
            MemorySegment.copy(buffers.hostLogits(), ValueLayout.JAVA_FLOAT, 0, logits, 0, n);
        }
        return new StepResult(logits, samples, shape.vocab());
    }

    /**
     * Runs the step like {@link #execute} but picks each sample row's greedy token on the device and
     * copies back only the token ids (the lowest id wins a tie, as {@link StepResult#argmax} does). The
     * array is reused by the next step.
     */
    public int[] executeGreedy(StepBatch batch) {
        int samples = run(batch, true);
        int[] out = buffers.argmax();
        MemorySegment.copy(buffers.hostArgmax(), ValueLayout.JAVA_INT, 0, out, 0, samples);
        return out;
    }

    /** Runs a step and leaves its logits (or greedy tokens) in host staging; returns the sample rows. */
    private int run(StepBatch batch, boolean greedy) {
        checkBatch(batch);
        gpu.makeCurrent();
        GraphBuckets.Key graphKey = buckets.keyFor(batch);
        StepShape step = graphKey != null ? StepMetadata.graphShape(graphKey)
                : StepMetadata.directShape(batch, attention.tileQ());
        MetadataLayout meta = MetadataLayout.of(step);
        if (buffers.ensure(step, planner.splits(step), meta.totalInts())) {
            graphs.clear();
        }
        StepMetadata.write(batch, step, attention.tileQ(), buffers.hostMeta());
        gpu.copyToDeviceAsync(buffers.address(Buffer.META, 0), buffers.hostMeta(), 4L * meta.totalInts());
        Runnable issue = () -> executor.run(planner.plan(step, greedy), addresses);
        if (graphKey != null) {
            graphs.launch(new GraphCache.Key(graphKey, greedy), issue);
        } else {
            issue.run();
        }
        int samples = batch.numSampleRows();
        if (samples > 0 && greedy) {
            gpu.copyToHostAsync(buffers.hostArgmax(), buffers.address(Buffer.ARGMAX, 0), 4L * samples);
        } else if (samples > 0) {
            gpu.copyToHostAsync(buffers.hostLogits(), buffers.address(Buffer.LOGITS, 0), 4L * samples * shape.vocab());
        }
        gpu.synchronize();
        return samples;
    }

    private void checkBatch(StepBatch batch) {
        ensureOpen();
        if (kvLayout == null) {
            throw new IllegalStateException("no KV cache: call allocateKvCache before execute");
        }
        if (!batch.kvLayout().equals(kvLayout)) {
            throw new IllegalArgumentException("the batch was built for KV layout " + batch.kvLayout()
                    + ", but this backend's cache is " + kvLayout);
        }
        int vocab = config.vocabSize();
        for (int t = 0; t < batch.numTokens(); t++) {
            int id = batch.tokenId(t);
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " at row " + t
                        + " is outside the vocabulary 0.." + (vocab - 1));
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the CUDA backend is closed");
        }
    }

    private void freeKvCache() {
        if (kvPointer != 0) {
            gpu.free(kvPointer);
            kvPointer = 0;
            kvLayout = null;
            planner = null;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        gpu.makeCurrent();
        RuntimeException failure = null;
        for (AutoCloseable part : new AutoCloseable[] {graphs, this::freeKvCache, buffers, weights, gpu}) {
            try {
                part.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void closeQuietly(AutoCloseable c, RuntimeException primary) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            primary.addSuppressed(e);
        }
    }
}
