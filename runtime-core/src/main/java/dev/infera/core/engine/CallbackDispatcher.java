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
 */
final class CallbackDispatcher {

    private static final Logger log = LoggerFactory.getLogger(CallbackDispatcher.class);

    private final Executor executor;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final Runnable drain = this::drain;

    CallbackDispatcher(Executor executor) {
        this.executor = executor;
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
