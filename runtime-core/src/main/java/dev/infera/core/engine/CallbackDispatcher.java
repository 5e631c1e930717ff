package dev.infera.core.engine;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one request's callbacks on a shared executor one at a time, in submission order: tasks go into
 * a queue, and at most one drain task per request is with the executor at any moment. So listener
 * calls of a request never overlap and never reorder, whatever the executor's threads, and the engine
 * thread only enqueues. A task that throws is logged and does not stop the ones after it (listener
 * errors are caught before they get here; this is the last line of defence).
 *
 * <p>While a task runs, its thread is marked as running a callback of the dispatcher's owner (the
 * engine), so the engine can tell when {@code close()} is called from inside one of its own listeners.
 */
final class CallbackDispatcher {

    private static final Logger log = LoggerFactory.getLogger(CallbackDispatcher.class);

    /** The owner whose callback the current thread is running, or null. */
    private static final ThreadLocal<Object> RUNNING_FOR = new ThreadLocal<>();

    private final Object owner;
    private final Executor executor;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final Runnable drain = this::drain;

    CallbackDispatcher(Object owner, Executor executor) {
        this.owner = owner;
        this.executor = executor;
    }

    /** Whether the calling thread is running a callback task of a dispatcher owned by {@code owner}. */
    static boolean isRunningCallbackFor(Object owner) {
        return RUNNING_FOR.get() == owner;
    }

    void dispatch(Runnable task) {
        tasks.add(task);
        if (draining.compareAndSet(false, true)) {
            start();
        }
    }

    private void start() {
        try {
            executor.execute(drain);
        } catch (RejectedExecutionException e) {
            log.warn("callback executor rejected a task ({}); running this request's callbacks on a new thread", e.toString());
            Thread.ofVirtual().name("infera-callback-fallback").start(drain);
        }
    }

    private void drain() {
        Object previous = RUNNING_FOR.get();
        RUNNING_FOR.set(owner);
        try {
            drainTasks();
        } finally {
            RUNNING_FOR.set(previous);
        }
    }

    private void drainTasks() {
        while (true) {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    log.error("request callback failed", e);
                }
            }
            draining.set(false);
            if (tasks.isEmpty() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }
}
