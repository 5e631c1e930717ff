package dev.infera.core.engine;

import dev.infera.api.EngineClosedException;
import dev.infera.api.EngineConfig;
import dev.infera.api.EngineStats;
import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.InferenceEngine;
import dev.infera.api.QueueFullException;
import dev.infera.api.RequestHandle;
import dev.infera.api.RequestTooLargeException;
import dev.infera.api.SamplingParams;
import dev.infera.api.TokenChunk;
import dev.infera.api.TokenListener;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.engine.kv.KvBlockManager;
import dev.infera.core.engine.sched.Scheduler;
import dev.infera.core.engine.sched.SchedulerConfig;
import dev.infera.core.sampling.Sampler;
import dev.infera.core.sampling.SamplingWorkspace;
import dev.infera.core.sampling.StopConditions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link InferenceEngine}: caller threads tokenize and validate a request, take a queue permit and
 * put it in the engine loop's inbox; one engine thread ({@link EngineLoop}) does all scheduling, KV
 * bookkeeping and backend calls; listeners run on the callback executor.
 *
 * <p>Closing takes the write side of a lock whose read side every submission holds while it checks the
 * accepting flag and enqueues, so no request can slip into the inbox after the loop's final drain: each
 * one is either refused with {@link EngineClosedException} or ended by the loop exactly once.
 *
 * <p>Two flags, on purpose: {@code accepting} goes false when {@code close()} starts or when the engine
 * thread dies (then nothing more can be run), while {@code closeCalled} records that {@code close()}
 * has run its course once: joining the engine thread, waiting for listeners and shutting down the
 * callback executor still happen on the first {@code close()} after the engine thread died.
 */
public final class InferaEngine implements InferenceEngine {

    private static final Logger log = LoggerFactory.getLogger(InferaEngine.class);
    private static final long CLOSE_WAIT_SECONDS = 30;
    /** Deadlines at least this far away are treated as none (the nanosecond clock spans ~292 years). */
    static final Duration UNBOUNDED_DEADLINE = Duration.ofDays(100L * 365);

    private final EngineConfig config;
    private final EngineComponents parts;
    private final Executor callbackExecutor;
    private final ExecutorService ownedExecutor;
    private final Semaphore queueSlots;
    private final EngineCounters counters = new EngineCounters();
    private final EngineLoop loop;
    private final Thread engineThread;
    private final SamplingWorkspace samplingWorkspace;
    private final int maxKvTokens;
    private final AtomicLong nextId = new AtomicLong();
    private final AtomicInteger unfinished = new AtomicInteger();
    private final Object unfinishedMonitor = new Object();
    private final ReentrantReadWriteLock closeLock = new ReentrantReadWriteLock();
    private volatile boolean accepting = true;
    private boolean closeCalled;

    /**
     * Starts an engine over loaded parts with a KV cache of {@code numKvBlocks} blocks. The engine owns
     * the parts from here on and closes them when it closes (also when this constructor fails).
     */
    public InferaEngine(EngineConfig config, EngineComponents parts, int numKvBlocks) {
        this.config = Objects.requireNonNull(config, "config");
        this.parts = Objects.requireNonNull(parts, "parts");
        // Any failure here (an OutOfMemoryError from the native KV allocation included) must not leak
        // the backend's threads and memory or the mapped model.
        boolean started = false;
        try {
            KvCacheLayout layout = parts.backend().allocateKvCache(numKvBlocks, config.blockSize());
            counters.setKvCacheBytes(layout.totalBytes());
            KvBlockManager kv = new KvBlockManager(numKvBlocks, config.blockSize(), config.prefixCaching());
            this.maxKvTokens = (int) Math.min(Integer.MAX_VALUE, (long) numKvBlocks * config.blockSize());
            Scheduler scheduler = new Scheduler(new SchedulerConfig(config.maxBatchTokens(),
                    config.maxRunningRequests(), config.schedulingPolicy()), kv);
            this.samplingWorkspace = new SamplingWorkspace(parts.vocabSize());
            this.queueSlots = new Semaphore(config.maxQueuedRequests());
            this.loop = new EngineLoop(scheduler, parts.backend(), layout, parts.vocabSize(), queueSlots, counters,
                    this::refuseNewRequests, this::closeResources);
            log.info("engine starting: {}; KV cache {} blocks x {} tokens = {} tokens ({} MiB); maxBatchTokens {}, "
                    + "maxRunningRequests {}, prefix caching {}, {} scheduling", parts.description(), numKvBlocks,
                    config.blockSize(), maxKvTokens, layout.totalBytes() >> 20, config.maxBatchTokens(),
                    config.maxRunningRequests(), config.prefixCaching() ? "on" : "off", config.schedulingPolicy());
            if (config.callbackExecutor() != null) {
                this.callbackExecutor = config.callbackExecutor();
                this.ownedExecutor = null;
            } else {
                this.ownedExecutor = Executors.newThreadPerTaskExecutor(
                        Thread.ofVirtual().name("infera-callback-", 0).factory());
                this.callbackExecutor = ownedExecutor;
            }
            this.engineThread = Thread.ofPlatform().name("infera-engine").daemon(true).start(loop);
            started = true;
        } finally {
            if (!started) {
                closeAfterFailedStart(parts);
            }
        }
    }

    private void closeAfterFailedStart(EngineComponents parts) {
        try {
            parts.backend().close();
        } catch (RuntimeException | Error e) {
            log.warn("closing the backend after a failed start failed", e);
        } finally {
            closeResources();
        }
    }

    /** Stops accepting (also when the engine thread dies), so no submission can reach the inbox after it. */
    private void refuseNewRequests() {
        closeLock.writeLock().lock();
        try {
            accepting = false;
        } finally {
            closeLock.writeLock().unlock();
        }
    }

    private void closeResources() {
        AutoCloseable resources = parts.resources();
        if (resources != null) {
            try {
                resources.close();
            } catch (Exception e) {
                log.warn("closing the model's resources failed", e);
            }
        }
    }

    /** The tokenizer requests are encoded with. */
    public dev.infera.core.tokenizer.Tokenizer tokenizer() {
        return parts.tokenizer();
    }

    @Override
    public RequestHandle submit(GenerationRequest request, TokenListener listener) {
        return submit(request, listener, false);
    }

    private RequestHandle submit(GenerationRequest request, TokenListener listener, boolean waitForRoom) {
        Objects.requireNonNull(request, "request must not be null");
        Objects.requireNonNull(listener, "listener must not be null (use TokenListener.none())");
        if (!accepting) {
            throw new EngineClosedException("the engine is closed");
        }
        int[] prompt = request.prompt() != null ? parts.tokenizer().encode(request.prompt()) : request.promptTokens();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt: the text encodes to no tokens (this model adds no BOS token); "
                    + "give a non-empty prompt");
        }
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] >= parts.vocabSize()) {
                throw new IllegalArgumentException("promptTokens[" + i + "] = " + prompt[i]
                        + " is outside the model's vocabulary 0.." + (parts.vocabSize() - 1));
            }
        }
        EngineRequest r = newRequest(prompt, request, listener);
        String tooLarge = tooLarge(r, prompt.length);
        if (tooLarge != null) {
            unfinished.incrementAndGet();
            r.fail(new RequestTooLargeException(tooLarge));
            return r;
        }
        acquireSlot(waitForRoom);
        closeLock.readLock().lock();
        try {
            if (!accepting) {
                queueSlots.release();
                throw new EngineClosedException("the engine is closed");
            }
            unfinished.incrementAndGet();
            loop.enqueue(r);
        } finally {
            closeLock.readLock().unlock();
        }
        return r;
    }

    private EngineRequest newRequest(int[] prompt, GenerationRequest request, TokenListener listener) {
        SamplingParams params = request.sampling();
        long now = System.nanoTime();
        long deadline = deadlineNanos(request.deadline(), Instant.now(), now);
        int maxNew = Math.max(1, Math.min(params.maxTokens(), parts.contextLength() - prompt.length));
        EngineRequest r = new EngineRequest(nextId.incrementAndGet(), prompt, request, maxNew,
                new Sampler(params, samplingWorkspace), new StopConditions(params, parts.eosTokenIds()),
                parts.tokenizer().newDetokenizer(), now, deadline, listener,
                new CallbackDispatcher(this, callbackExecutor), loop::requestCancel, this::requestFinished);
        return r;
    }

    /**
     * A deadline on the {@link System#nanoTime} clock, or {@link Long#MAX_VALUE} (none) when there is
     * none or it lies so far ahead ({@link #UNBOUNDED_DEADLINE} or more) that the nanosecond clock
     * cannot express it; a past deadline expires at once.
     */
    static long deadlineNanos(Instant deadline, Instant wallNow, long nanoNow) {
        if (deadline == null) {
            return Long.MAX_VALUE;
        }
        Duration left = Duration.between(wallNow, deadline);
        if (left.compareTo(UNBOUNDED_DEADLINE) >= 0) {
            return Long.MAX_VALUE;
        }
        return nanoNow + Math.max(0, left.toNanos());
    }

    private String tooLarge(EngineRequest r, int promptLength) {
        if (promptLength >= parts.contextLength()) {
            return "prompt has " + promptLength + " tokens but the model's context holds " + parts.contextLength()
                    + ": no room to generate";
        }
        if (r.maxKvTokens() > maxKvTokens) {
            return "request needs KV cache for " + r.maxKvTokens() + " tokens (" + promptLength + " prompt + "
                    + (r.maxKvTokens() - promptLength + 1) + " max new), but the whole KV cache holds "
                    + maxKvTokens + " tokens (" + maxKvTokens / config.blockSize() + " blocks of "
                    + config.blockSize() + ")";
        }
        return null;
    }

    private void acquireSlot(boolean waitForRoom) {
        if (queueSlots.tryAcquire()) {
            return;
        }
        if (!waitForRoom) {
            throw new QueueFullException("the engine's queue is full: " + config.maxQueuedRequests()
                    + " requests are waiting to start (maxQueuedRequests); retry later");
        }
        try {
            while (!queueSlots.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                if (!accepting) {
                    throw new EngineClosedException("the engine closed while waiting for queue room");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineClosedException("interrupted while waiting for queue room");
        }
    }

    private void requestFinished() {
        if (unfinished.decrementAndGet() == 0) {
            synchronized (unfinishedMonitor) {
                unfinishedMonitor.notifyAll();
            }
        }
    }

    @Override
    public Flow.Publisher<TokenChunk> stream(GenerationRequest request) {
        Objects.requireNonNull(request, "request must not be null");
        return subscriber -> new TokenSubscription(this, request, subscriber).start();
    }

    @Override
    public List<CompletableFuture<GenerationResult>> generateAll(List<GenerationRequest> requests) {
        Objects.requireNonNull(requests, "requests must not be null");
        List<CompletableFuture<GenerationResult>> futures = new ArrayList<>(requests.size());
        for (GenerationRequest request : requests) {
            // A request that cannot be submitted (invalid for this model, engine closed) fails its own
            // slot; the requests already submitted keep their futures.
            CompletableFuture<GenerationResult> future;
            try {
                future = submit(request, TokenListener.none(), true).result();
            } catch (RuntimeException e) {
                future = CompletableFuture.failedFuture(e);
            }
            futures.add(future);
        }
        return futures;
    }

    @Override
    public EngineStats stats() {
        return counters.snapshot(loop.inboxSize());
    }

    @Override
    public void close() {
        closeLock.writeLock().lock();
        try {
            if (closeCalled) {
                return;
            }
            closeCalled = true;
            accepting = false;
        } finally {
            closeLock.writeLock().unlock();
        }
        // Called from one of this engine's listeners: that callback's own request cannot finish before
        // it returns, so wait for all requests but that one.
        int ownRequest = CallbackDispatcher.isRunningCallbackFor(this) ? 1 : 0;
        loop.stop();
        boolean interrupted = false;
        try {
            engineThread.join();
        } catch (InterruptedException e) {
            interrupted = true;
        }
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_WAIT_SECONDS);
        synchronized (unfinishedMonitor) {
            while (unfinished.get() > ownRequest && !interrupted) {
                long left = waitUntil - System.nanoTime();
                if (left <= 0) {
                    log.warn("{} request callbacks still running after {} s; closing anyway", unfinished.get(),
                            CLOSE_WAIT_SECONDS);
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(unfinishedMonitor, left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (ownedExecutor != null) {
            ownedExecutor.shutdown();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        log.info("engine closed: {}", stats());
    }
}
