package dev.infera.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.Executor;

/**
 * Fluent settings for an {@link InferenceEngine}. Setters only record values; {@link #build()}
 * checks them all and reports every problem in one {@link IllegalArgumentException}.
 */
public final class InferenceEngineBuilder {

    public static final int DEFAULT_MAX_BATCH_TOKENS = 2048;
    public static final int DEFAULT_MAX_RUNNING_REQUESTS = 256;
    public static final int DEFAULT_BLOCK_SIZE = 16;
    public static final int DEFAULT_MAX_QUEUED_REQUESTS = 4096;
    public static final int MAX_BLOCK_SIZE = 1024;
    /**
     * The largest step token budget accepted: a step's activation buffers hold {@code maxBatchTokens}
     * rows of the model's widest layer, and beyond this even small models would need arrays larger
     * than Java allows.
     */
    public static final int MAX_BATCH_TOKENS = 1 << 20;

    private Path modelPath;
    private String backend = "auto";
    private int computeThreads = Runtime.getRuntime().availableProcessors();
    private int maxBatchTokens = DEFAULT_MAX_BATCH_TOKENS;
    private int maxRunningRequests = DEFAULT_MAX_RUNNING_REQUESTS;
    private long kvCacheBytes;
    private int kvCacheTokens;
    private int blockSize = DEFAULT_BLOCK_SIZE;
    private KvCacheType kvCacheType = KvCacheType.AUTO;
    private boolean prefixCaching = true;
    private int maxQueuedRequests = DEFAULT_MAX_QUEUED_REQUESTS;
    private SchedulingPolicy schedulingPolicy = SchedulingPolicy.FCFS;
    private Executor callbackExecutor;

    InferenceEngineBuilder() {
    }

    /** The GGUF model file (required). */
    public InferenceEngineBuilder model(Path path) {
        this.modelPath = path;
        return this;
    }

    /** {@code auto} (default: the best available), {@code cpu}, {@code cuda}. */
    public InferenceEngineBuilder backend(String id) {
        this.backend = id;
        return this;
    }

    /** Threads the backend computes with (default: available processors). */
    public InferenceEngineBuilder computeThreads(int threads) {
        this.computeThreads = threads;
        return this;
    }

    /** Token budget of one step: prompt chunks plus decodes (default 2048, at most {@link #MAX_BATCH_TOKENS}). */
    public InferenceEngineBuilder maxBatchTokens(int tokens) {
        this.maxBatchTokens = tokens;
        return this;
    }

    /** Most requests generating at once (default 256). */
    public InferenceEngineBuilder maxRunningRequests(int requests) {
        this.maxRunningRequests = requests;
        return this;
    }

    /**
     * KV cache size in bytes (default 0: a share of free memory, logged at start and reported by
     * {@link EngineStats#kvCacheBytes()}). Not together with {@link #kvCacheTokens}.
     */
    public InferenceEngineBuilder kvCacheBytes(long bytes) {
        this.kvCacheBytes = bytes;
        return this;
    }

    /**
     * KV cache size in tokens, rounded up to whole blocks; the engine converts it to bytes with the
     * backend's own per-block size (default 0: not set). Used as given, like {@link #kvCacheBytes}:
     * room beyond what the running requests fill keeps more prefixes in the prefix cache. Not
     * together with {@link #kvCacheBytes}.
     */
    public InferenceEngineBuilder kvCacheTokens(int tokens) {
        this.kvCacheTokens = tokens;
        return this;
    }

    /** Tokens per KV block (default 16). */
    public InferenceEngineBuilder blockSize(int tokens) {
        this.blockSize = tokens;
        return this;
    }

    /**
     * Element type of the KV cache (default {@link KvCacheType#AUTO}, the backend's choice). A type the
     * selected backend cannot store makes {@link #build()} fail with an {@link IllegalArgumentException}
     * naming the types it can.
     */
    public InferenceEngineBuilder kvCacheType(KvCacheType type) {
        this.kvCacheType = type;
        return this;
    }

    /** Whether requests share the KV of common prompt prefixes (default on). */
    public InferenceEngineBuilder prefixCaching(boolean enabled) {
        this.prefixCaching = enabled;
        return this;
    }

    /** Most requests waiting to start; more make submit throw {@link QueueFullException} (default 4096). */
    public InferenceEngineBuilder maxQueuedRequests(int requests) {
        this.maxQueuedRequests = requests;
        return this;
    }

    /** Service order (default FCFS). */
    public InferenceEngineBuilder schedulingPolicy(SchedulingPolicy policy) {
        this.schedulingPolicy = policy;
        return this;
    }

    /**
     * Runs listener callbacks (default: the engine's own virtual threads). Calls for one request never
     * overlap, whatever the executor.
     */
    public InferenceEngineBuilder callbackExecutor(Executor executor) {
        this.callbackExecutor = executor;
        return this;
    }

    /** The checked settings, without starting anything. */
    public EngineConfig toConfig() {
        List<String> problems = new ArrayList<>();
        if (modelPath == null) {
            problems.add("model path is not set (call model(Path))");
        } else if (!Files.isRegularFile(modelPath)) {
            problems.add("model file " + modelPath + " does not exist or is not a file");
        }
        if (backend == null || backend.isBlank()) {
            problems.add("backend must be a backend id such as auto or cpu, got " + (backend == null ? "null" : "''"));
        }
        positive(problems, "computeThreads", computeThreads);
        positive(problems, "maxBatchTokens", maxBatchTokens);
        if (maxBatchTokens > MAX_BATCH_TOKENS) {
            problems.add("maxBatchTokens must be at most " + MAX_BATCH_TOKENS + " tokens per step, got " + maxBatchTokens);
        }
        positive(problems, "maxRunningRequests", maxRunningRequests);
        positive(problems, "maxQueuedRequests", maxQueuedRequests);
        if (kvCacheBytes < 0) {
            problems.add("kvCacheBytes must be positive, or 0 to size the cache automatically; got " + kvCacheBytes);
        }
        if (kvCacheTokens < 0) {
            problems.add("kvCacheTokens must be positive, or 0 to size the cache automatically; got " + kvCacheTokens);
        }
        if (kvCacheBytes > 0 && kvCacheTokens > 0) {
            problems.add("set kvCacheBytes or kvCacheTokens, not both (got " + kvCacheBytes + " bytes and "
                    + kvCacheTokens + " tokens)");
        }
        if (blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
            problems.add("blockSize must be between 1 and " + MAX_BLOCK_SIZE + " tokens, got " + blockSize);
        }
        if (kvCacheType == null) {
            problems.add("kvCacheType must not be null (AUTO lets the backend choose)");
        }
        if (schedulingPolicy == null) {
            problems.add("schedulingPolicy must not be null");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid engine settings: " + String.join("; ", problems));
        }
        return new EngineConfig(modelPath, backend, computeThreads, maxBatchTokens, maxRunningRequests, kvCacheBytes,
                kvCacheTokens, blockSize, kvCacheType, prefixCaching, maxQueuedRequests, schedulingPolicy, callbackExecutor);
    }

    /**
     * Checks the settings, loads the model and starts the engine.
     *
     * @throws IllegalArgumentException listing every invalid setting
     * @throws IllegalStateException    when no engine implementation is on the class path
     * @throws ModelFormatException     when the model file cannot be used
     */
    public InferenceEngine build() {
        EngineConfig config = toConfig();
        return findFactory().create(config);
    }

    private static EngineFactory findFactory() {
        for (ClassLoader loader : new ClassLoader[] {Thread.currentThread().getContextClassLoader(),
                InferenceEngineBuilder.class.getClassLoader()}) {
            if (loader == null) {
                continue;
            }
            for (EngineFactory f : ServiceLoader.load(EngineFactory.class, loader)) {
                return f;
            }
        }
        throw new IllegalStateException("no Infera engine implementation found: add dev.infera:runtime-core "
                + "(and a backend such as runtime-cpu) to the class path");
    }

    private static void positive(List<String> problems, String name, int value) {
        if (value < 1) {
            problems.add(name + " must be at least 1, got " + value);
        }
    }
}
