package dev.infera.core.engine.sched;

import dev.infera.api.SchedulingPolicy;
import dev.infera.core.engine.kv.KvBlockManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * Decides, step by step, which sequences compute how many tokens. There is one rule: every sequence
 * has {@code numComputedTokens} and {@code numTokens}, and a step spends a token budget
 * ({@code maxBatchTokens}) closing those gaps, running sequences first (a decode costs 1 token, an
 * unfinished prompt a chunk of whatever budget is left), then waiting ones in service order. That
 * single rule gives continuous batching, chunked prefill, prefix-cache hits (a sequence starts with
 * {@code numComputedTokens > 0}) and preemption by recompute (reset to 0 and requeue); there is no
 * separate prefill or decode phase.
 *
 * <p>Invariants: {@code running} is sorted best first in service order (FCFS: arrival; priority:
 * higher priority, then arrival), so the worst running sequence is always the last one. When a
 * running sequence cannot get KV blocks, the worst running sequence is preempted until it can (or it
 * is itself the worst, and preempts itself); because the loop serves sequences best first, a victim
 * was never scheduled earlier in the same step. A step that preempted admits nobody new, so freed
 * blocks go to the sequences already running. Waiting sequences are admitted in service order and the
 * first that does not fit blocks the others behind it (no overtaking); under the priority policy it
 * may preempt running sequences of strictly lower priority. A sequence that could not fit even in an
 * empty cache is refused by {@link #add}, so the loops above always end.
 *
 * <p>Shared prefixes in flight: a waiting sequence whose next prompt blocks a running sequence is
 * computing right now (same content, same salt) waits for them when they make up at least half of
 * what it still has to compute, instead of computing them a second time; it is passed over for this
 * step without blocking the sequences behind it, and takes the blocks from the prefix cache once they
 * are published. The wait is one step: a waiting sequence is looked at only when budget is left after
 * every running one got all it asked for, so the blocks it waits for are computed in that very step.
 * (A running sequence that stops, finished, cancelled or preempted, withdraws what it announced; an
 * announcement left behind would make its waiters wait for ever.) Below half, it computes its own
 * copy at once: a short common beginning (a few tokens of system prompt before a long document) is
 * not worth a step's delay. A step passes over at most {@code maxRunningRequests} sequences and then
 * admits no more, so a long queue behind one new prefix is not looked up in full at every step.
 *
 * <p>Owned by the engine thread; not thread-safe. Allocation-free per step apart from queue growth.
 */
public final class Scheduler {

    private final SchedulerConfig config;
    private final KvBlockManager kv;
    private final Comparator<Sequence> serviceOrder;
    private final PriorityQueue<Sequence> waiting;
    private final ArrayList<Sequence> running = new ArrayList<>();
    /** Waiting sequences passed over in this step's admission, put back after it. */
    private final ArrayList<Sequence> passedOver = new ArrayList<>();
    private final StepPlan plan = new StepPlan();
    private long nextArrival;
    private long numPreemptions;
    private long numPrefixWaits;
    private int numFinishedInRunning;
    private int budget;
    private boolean unscheduledInStep;

    public Scheduler(SchedulerConfig config, KvBlockManager kv) {
        if (config == null || kv == null) {
            throw new IllegalArgumentException("config and kv must not be null");
        }
        this.config = config;
        this.kv = kv;
        Comparator<Sequence> byArrival = Comparator.comparingLong(s -> s.arrivalOrder);
        this.serviceOrder = config.policy() == SchedulingPolicy.PRIORITY
                ? Comparator.comparingInt((Sequence s) -> -s.priority()).thenComparing(byArrival)
                : byArrival;
        this.waiting = new PriorityQueue<>(serviceOrder);
    }

    public KvBlockManager kv() {
        return kv;
    }

    public SchedulerConfig config() {
        return config;
    }

    /** Whether a sequence fits in the KV cache when it has the whole cache to itself. */
    public boolean canEverFit(Sequence s) {
        return kv.canEverFit(s.maxKvTokens());
    }

    /** The message for a sequence that can never fit: its size and the cache's. */
    public String neverFitsMessage(Sequence s) {
        return "request needs KV cache for " + s.maxKvTokens() + " tokens (" + s.numPromptTokens()
                + " prompt + " + (s.maxKvTokens() - s.numPromptTokens() + 1) + " max new), "
                + kv.blocksFor(s.maxKvTokens()) + " blocks of " + kv.blockSize() + ", but the whole KV cache holds "
                + kv.numBlocks() + " blocks (" + (long) kv.numBlocks() * kv.blockSize() + " tokens)";
    }

    /** Queues a new sequence; refuses one that could never fit in the KV cache. */
    public void add(Sequence s) {
        if (s.status != Sequence.Status.NEW) {
            throw new IllegalStateException(s + " was already added");
        }
        if (!canEverFit(s)) {
            throw new IllegalArgumentException(neverFitsMessage(s));
        }
        s.arrivalOrder = nextArrival++;
        s.status = Sequence.Status.WAITING;
        waiting.add(s);
    }

    public int numRunning() {
        return running.size() - numFinishedInRunning;
    }

    public int numWaiting() {
        return waiting.size();
    }

    public boolean hasWork() {
        return numRunning() > 0 || !waiting.isEmpty();
    }

    /** Total preemptions since the scheduler was created. */
    public long numPreemptions() {
        return numPreemptions;
    }

    /**
     * Times a waiting sequence was passed over for a step because its next prompt blocks were being
     * computed by a running sequence (see the class comment).
     */
    public long numPrefixWaits() {
        return numPrefixWaits;
    }

    /** Plans the next step; the plan is valid until the next call. */
    public StepPlan schedule() {
        plan.clear();
        if (numFinishedInRunning > 0) {
            running.removeIf(s -> s.status == Sequence.Status.FINISHED);
            numFinishedInRunning = 0;
        }
        budget = config.maxBatchTokens();
        unscheduledInStep = false;
        scheduleRunning();
        if (plan.preempted().isEmpty()) {
            admitWaiting();
        }
        if (unscheduledInStep) {
            plan.compact();
        }
        return plan;
    }

    private void scheduleRunning() {
        for (int i = 0; i < running.size() && budget > 0; i++) {
            Sequence s = running.get(i);
            int n = Math.min(s.numTokens() - s.numComputedTokens, budget);
            if (n <= 0) {
                continue;
            }
            while (true) {
                if (kv.allocateSlots(s.blockTable(), s.numComputedTokens, n)) {
                    plan.add(s, n);
                    budget -= n;
                    break;
                }
                Sequence victim = running.getLast();
                preempt(victim, running.size() - 1);
                if (victim == s) {
                    break;
                }
            }
        }
    }

    private void admitWaiting() {
        try {
            admitInOrder();
        } finally {
            for (int i = 0; i < passedOver.size(); i++) {
                waiting.add(passedOver.get(i));
            }
            passedOver.clear();
        }
    }

    private void admitInOrder() {
        boolean priority = config.policy() == SchedulingPolicy.PRIORITY;
        while (budget > 0 && !waiting.isEmpty()) {
            Sequence s = waiting.peek();
            if (running.size() >= config.maxRunningRequests()) {
                if (priority && outranksWorstRunning(s)) {
                    preempt(running.getLast(), running.size() - 1);
                    continue;
                }
                return;
            }
            int cached = kv.findCachedPrefix(s.blockTable(), s.tokens(), s.numTokens());
            if (2L * kv.computingPrefix(s.blockTable()) >= s.numTokens() - cached) {
                passedOver.add(waiting.poll());
                numPrefixWaits++;
                if (passedOver.size() >= config.maxRunningRequests()) {
                    return; // a long queue behind one new prefix is not rescanned in full every step
                }
                continue;
            }
            int n = Math.min(s.numTokens() - cached, budget);
            if (!kv.allocateSlots(s.blockTable(), cached, n)) {
                if (priority && outranksWorstRunning(s)) {
                    preempt(running.getLast(), running.size() - 1);
                    continue;
                }
                return;
            }
            waiting.poll();
            kv.markComputing(s.blockTable());
            s.numComputedTokens = cached;
            if (s.numCachedPromptTokens < 0) {
                s.numCachedPromptTokens = Math.min(cached, s.numPromptTokens());
            }
            s.status = Sequence.Status.RUNNING;
            int at = Collections.binarySearch(running, s, serviceOrder);
            running.add(at < 0 ? -at - 1 : at, s);
            plan.add(s, n);
            budget -= n;
        }
    }

    private boolean outranksWorstRunning(Sequence s) {
        return !running.isEmpty() && s.priority() > running.getLast().priority();
    }

    private void preempt(Sequence victim, int index) {
        running.remove(index);
        kv.free(victim.blockTable());
        victim.numComputedTokens = 0;
        victim.numPreemptions++;
        numPreemptions++;
        if (victim.scheduledTokens > 0) {
            budget += victim.scheduledTokens;
            victim.scheduledTokens = 0;
            unscheduledInStep = true;
        }
        victim.status = Sequence.Status.WAITING;
        waiting.add(victim);
        plan.addPreempted(victim);
    }

    /** Records that the planned step ran: advances each sequence and publishes its newly full blocks. */
    public void completeStep() {
        for (int i = 0; i < plan.size(); i++) {
            Sequence s = plan.sequence(i);
            s.numComputedTokens += plan.numNewTokens(i);
            s.scheduledTokens = 0;
            kv.cacheFullBlocks(s.blockTable(), s.tokens(), s.numComputedTokens);
        }
    }

    /** Records that the planned step did not run (its sequences keep their counters). */
    public void abandonStep() {
        for (int i = 0; i < plan.size(); i++) {
            plan.sequence(i).scheduledTokens = 0;
        }
    }

    /** Ends a sequence (finished, cancelled or failed): frees its blocks and forgets it. Idempotent. */
    public void finish(Sequence s) {
        switch (s.status) {
            case RUNNING -> numFinishedInRunning++;
            case WAITING -> waiting.remove(s);
            case NEW, FINISHED -> {
            }
        }
        if (s.status != Sequence.Status.FINISHED) {
            kv.free(s.blockTable());
            s.status = Sequence.Status.FINISHED;
            s.scheduledTokens = 0;
        }
    }
}
