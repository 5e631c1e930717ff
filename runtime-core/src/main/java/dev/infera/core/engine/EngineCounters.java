package dev.infera.core.engine;

import dev.infera.api.EngineStats;
import dev.infera.core.engine.kv.KvBlockManager;
import dev.infera.core.engine.sched.Scheduler;

/**
 * The engine's counters: written only by the engine thread (after every step), read by any thread
 * through {@link #snapshot}. Each field is volatile, so a reader sees recent values, though not
 * necessarily all from the same step.
 */
final class EngineCounters {

    private final long startNanos = System.nanoTime();
    private volatile int running;
    private volatile int waiting;
    private volatile int kvBlocksUsed;
    private volatile int kvBlocksPeak;
    private volatile int kvBlocksTotal;
    private volatile long prefixQueryTokens;
    private volatile long prefixHitTokens;
    private volatile long preemptions;
    private volatile long prefixWaits;
    private volatile long steps;
    private volatile long promptTokens;
    private volatile long generatedTokens;
    private volatile long finishedRequests;
    private volatile long kvCacheBytes;
    private volatile long decodeSteps;
    private volatile long decodeStepTokens;
    private volatile long decodeStepNanos;

    /** Records the size of the allocated KV cache. */
    void setKvCacheBytes(long bytes) {
        kvCacheBytes = bytes;
    }

    /** Records the KV blocks a planned step holds while it runs (its requests may free them before {@link #publish}). */
    void observeKvBlocksInUse(int blocks) {
        if (blocks > kvBlocksPeak) {
            kvBlocksPeak = blocks;
        }
    }

    void addStep(int promptTokensInStep, int generatedTokensInStep) {
        steps = steps + 1;
        promptTokens = promptTokens + promptTokensInStep;
        generatedTokens = generatedTokens + generatedTokensInStep;
    }

    /** A step that only decoded (no prompt tokens): its tokens and its time from planning to its logits. */
    void addDecodeStep(int tokens, long nanos) {
        decodeSteps = decodeSteps + 1;
        decodeStepTokens = decodeStepTokens + tokens;
        decodeStepNanos = decodeStepNanos + nanos;
    }

    void addFinished() {
        finishedRequests = finishedRequests + 1;
    }

    void publish(Scheduler scheduler) {
        KvBlockManager kv = scheduler.kv();
        running = scheduler.numRunning();
        waiting = scheduler.numWaiting();
        kvBlocksUsed = kv.numUsedBlocks();
        observeKvBlocksInUse(kvBlocksUsed);
        kvBlocksTotal = kv.numBlocks();
        prefixQueryTokens = kv.prefixQueryTokens();
        prefixHitTokens = kv.prefixHitTokens();
        preemptions = scheduler.numPreemptions();
        prefixWaits = scheduler.numPrefixWaits();
    }

    /** A snapshot; {@code inboxSize} requests not yet seen by the engine count as waiting. */
    EngineStats snapshot(int inboxSize) {
        double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
        long prompt = promptTokens;
        long generated = generatedTokens;
        return new EngineStats(running, waiting + inboxSize, kvBlocksUsed, kvBlocksTotal, prefixQueryTokens,
                prefixHitTokens, preemptions, steps, prompt, generated, finishedRequests, prompt / seconds,
                generated / seconds, kvCacheBytes, kvBlocksPeak, decodeSteps, decodeStepTokens,
                decodeStepNanos / 1e9, prefixWaits);
    }
}
