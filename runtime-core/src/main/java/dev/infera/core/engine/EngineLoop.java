package dev.infera.core.engine;

import dev.infera.api.EngineClosedException;
import dev.infera.api.FinishReason;
import dev.infera.api.RequestTooLargeException;
import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepResult;
import dev.infera.core.engine.sched.Scheduler;
import dev.infera.core.engine.sched.Sequence;
import dev.infera.core.engine.sched.StepBatchAssembler;
import dev.infera.core.engine.sched.StepPlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine thread: the only code that touches the scheduler, the KV block manager and the backend.
 *
 * <p>Each iteration drains the inbox (blocking only when there is no work, so an idle engine uses no
 * CPU), ends requests that were cancelled, whose listener failed, or whose deadline passed (freeing
 * their KV blocks before the step is planned), plans a step, runs it on the backend, samples every
 * request whose step reached its last token, and ends those that finished. A backend failure fails
 * the requests of that step with the cause; the engine keeps serving the others. When asked to stop,
 * it fails every request still in flight with {@link EngineClosedException} and closes the backend.
 *
 * <p>Caller threads interact only through {@link #enqueue} (the inbox), {@link #requestCancel} (a
 * lock-free queue) and {@link #stop}. The permits of {@code queueSlots} bound the requests submitted
 * but not yet started; a request returns its permit when it first runs or ends.
 */
final class EngineLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(EngineLoop.class);
    private static final Object WAKE = new Object();

    private final Scheduler scheduler;
    private final ExecutionBackend backend;
    private final KvCacheLayout layout;
    private final int vocabSize;
    private final Semaphore queueSlots;
    private final EngineCounters counters;
    private final Runnable refuseNewRequests;
    private final Runnable onExit;
    private final AtomicInteger inboxRequests = new AtomicInteger();
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final ConcurrentLinkedQueue<EngineRequest> cancellations = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<EngineRequest> deadlines =
            new PriorityQueue<>(Comparator.comparingLong(EngineRequest::deadlineNanos));
    private final Set<EngineRequest> active = new HashSet<>();
    private volatile boolean stopping;

    /**
     * @param refuseNewRequests called on the engine thread before its final drain: after it returns,
     *                          no caller may enqueue (the engine marks itself closed under its lock)
     * @param onExit            called last, after the backend is closed
     */
    EngineLoop(Scheduler scheduler, ExecutionBackend backend, KvCacheLayout layout, int vocabSize, Semaphore queueSlots,
            EngineCounters counters, Runnable refuseNewRequests, Runnable onExit) {
        this.scheduler = scheduler;
        this.backend = backend;
        this.layout = layout;
        this.vocabSize = vocabSize;
        this.queueSlots = queueSlots;
        this.counters = counters;
        this.refuseNewRequests = refuseNewRequests;
        this.onExit = onExit;
        counters.publish(scheduler);
    }

    /** Hands a request (holding a queue permit) to the engine thread. */
    void enqueue(EngineRequest request) {
        inboxRequests.incrementAndGet();
        inbox.add(request);
    }

    /** Notes that a request should end (cancelled, or its listener failed). */
    void requestCancel(EngineRequest request) {
        cancellations.add(request);
        inbox.add(WAKE);
    }

    /** Requests submitted that the engine thread has not picked up yet. */
    int inboxSize() {
        return inboxRequests.get();
    }

    /** Asks the loop to fail what is in flight, close the backend and exit. */
    void stop() {
        stopping = true;
        inbox.add(WAKE);
    }

    @Override
    public void run() {
        Throwable fatal = null;
        try {
            while (!stopping) {
                drainInbox(!scheduler.hasWork());
                if (stopping) {
                    break;
                }
                long now = System.nanoTime();
                applyCancellations(now);
                expireDeadlines(now);
                if (scheduler.hasWork()) {
                    step();
                }
                counters.publish(scheduler);
            }
        } catch (Throwable t) {
            fatal = t;
            log.error("the engine thread failed; failing all requests in flight", t);
        } finally {
            shutDown(fatal);
        }
    }

    private void drainInbox(boolean block) {
        try {
            Object item = block ? inbox.take() : inbox.poll();
            while (item != null) {
                if (item instanceof EngineRequest r) {
                    inboxRequests.decrementAndGet();
                    accept(r);
                }
                item = inbox.poll();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    private void accept(EngineRequest r) {
        active.add(r);
        if (r.isCancelRequested() || r.listenerFailure() != null) {
            end(r, FinishReason.CANCELLED, System.nanoTime());
            return;
        }
        try {
            scheduler.add(r);
        } catch (IllegalArgumentException e) {
            release(r);
            r.fail(new RequestTooLargeException(e.getMessage()));
            return;
        }
        if (r.deadlineNanos() != Long.MAX_VALUE) {
            deadlines.add(r);
        }
    }

    private void applyCancellations(long now) {
        EngineRequest r;
        while ((r = cancellations.poll()) != null) {
            if (active.contains(r)) {
                end(r, FinishReason.CANCELLED, now);
            }
        }
    }

    private void expireDeadlines(long now) {
        while (!deadlines.isEmpty() && deadlines.peek().deadlineNanos() - now <= 0) {
            EngineRequest r = deadlines.poll();
            if (active.contains(r)) {
                end(r, FinishReason.DEADLINE, now);
            }
        }
    }

    private void step() {
        long stepStart = System.nanoTime();
        StepPlan plan = scheduler.schedule();
        if (plan.isEmpty()) {
            throw new IllegalStateException("the scheduler planned an empty step with " + scheduler.numRunning()
                    + " running and " + scheduler.numWaiting() + " waiting requests");
        }
        if (!plan.preempted().isEmpty() && log.isDebugEnabled()) {
            log.debug("preempted {} request(s) for lack of KV blocks ({} of {} used)", plan.preempted().size(),
                    scheduler.kv().numUsedBlocks(), scheduler.kv().numBlocks());
        }
        counters.observeKvBlocksInUse(scheduler.kv().numUsedBlocks());
        long start = System.nanoTime();
        int promptTokens = 0;
        int generated = 0;
        for (int i = 0; i < plan.size(); i++) {
            EngineRequest r = (EngineRequest) plan.sequence(i);
            r.markScheduled(start);
            releasePermit(r);
            generated += plan.samples(i) ? 1 : 0;
            promptTokens += prefillTokens(r, r.numComputedTokens(), plan.numNewTokens(i));
        }
        StepResult result;
        try {
            StepBatch batch = StepBatchAssembler.assemble(plan, layout);
            result = backend.execute(batch);
        } catch (RuntimeException e) {
            log.warn("a step of {} tokens for {} request(s) failed; failing those requests", plan.numScheduledTokens(),
                    plan.size(), e);
            scheduler.abandonStep();
            failStep(plan, e);
            return;
        }
        scheduler.completeStep();
        // Counted before any request of the step ends, so a caller holding a result sees its step counted.
        counters.addStep(promptTokens, generated);
        if (promptTokens == 0) {
            counters.addDecodeStep(generated, System.nanoTime() - stepStart);
        }
        long now = System.nanoTime();
        int row = 0;
        float[] logits = result.logits();
        for (int i = 0; i < plan.size(); i++) {
            if (!plan.samples(i)) {
                continue;
            }
            EngineRequest r = (EngineRequest) plan.sequence(i);
            int offset = result.offset(row++);
            FinishReason finish;
            try {
                finish = r.sampleNext(logits, offset, vocabSize, now);
            } catch (RuntimeException e) {
                log.warn("sampling failed for request {}", r.id(), e);
                release(r);
                r.failGeneration("request " + r.id() + " failed while sampling: " + e.getMessage(), e, now);
                finish = FinishReason.ERROR;
            }
            if (finish != null) {
                end(r, finish, now);
            }
        }
    }

    /**
     * Of the tokens {@code [from, from + count)} a step computes for {@code r}, those that are prefill
     * rather than a decode input: prompt tokens, and, when a preempted request is recomputed, its
     * generated tokens except the newest (which had never been computed: it is that step's decode
     * input, as in any decode step).
     */
    static int prefillTokens(Sequence r, int from, int count) {
        int prefillEnd = r.numGeneratedTokens() == 0 ? r.numPromptTokens() : r.numTokens() - 1;
        return Math.max(0, Math.min(from + count, prefillEnd) - from);
    }

    private void failStep(StepPlan plan, RuntimeException cause) {
        long now = System.nanoTime();
        List<EngineRequest> victims = new ArrayList<>(plan.size());
        for (int i = 0; i < plan.size(); i++) {
            victims.add((EngineRequest) plan.sequence(i));
        }
        for (EngineRequest r : victims) {
            release(r);
            r.failGeneration("request " + r.id() + " failed: the backend failed during its step: " + cause.getMessage(),
                    cause, now);
        }
    }

    /**
     * Ends a request with a reason (an already ended request only gets its resources back). Its KV
     * blocks are freed and the counters published before its result is handed out, so a caller that
     * sees the result also sees the cache usage without it.
     */
    private void end(EngineRequest r, FinishReason reason, long now) {
        release(r);
        if (reason == FinishReason.CANCELLED && r.listenerFailure() != null) {
            r.failGeneration("request " + r.id() + " failed: its listener threw " + r.listenerFailure(),
                    r.listenerFailure(), now);
        } else if (reason != FinishReason.ERROR) {
            r.complete(reason, now);
        }
    }

    private void release(EngineRequest r) {
        if (active.remove(r)) {
            scheduler.finish(r);
            releasePermit(r);
            counters.addFinished();
            if (r.deadlineNanos() != Long.MAX_VALUE) {
                deadlines.remove(r);
            }
            counters.publish(scheduler);
        }
    }

    private void releasePermit(EngineRequest r) {
        if (!r.started) {
            r.started = true;
            queueSlots.release();
        }
    }

    private void shutDown(Throwable fatal) {
        stopping = true;
        try {
            refuseNewRequests.run();
        } finally {
            drainInbox(false);
        }
        EngineClosedException closed = new EngineClosedException(fatal == null
                ? "the engine was closed before the request finished"
                : "the engine stopped after an internal error: " + fatal);
        if (fatal != null) {
            closed.initCause(fatal);
        }
        for (EngineRequest r : new ArrayList<>(active)) {
            release(r);
            r.fail(closed);
        }
        counters.publish(scheduler);
        try {
            backend.close();
        } catch (RuntimeException e) {
            log.warn("closing the backend failed", e);
        } finally {
            onExit.run();
        }
    }
}
