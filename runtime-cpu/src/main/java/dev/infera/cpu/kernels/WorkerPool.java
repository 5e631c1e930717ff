package dev.infera.cpu.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's own worker threads, built for many short parallel loops per second (a decode
 * step runs hundreds of matrix products of a few microseconds each).
 *
 * <p>{@link #parallelFor} hands {@code numTasks} task indices to {@code numThreads} threads: the
 * calling thread is worker 0 and takes part; workers 1..n-1 are daemon threads owned by this pool
 * (never the common ForkJoinPool). Indices are claimed from one atomic counter, so uneven tasks
 * balance themselves. A call publishes its job by bumping a volatile generation number; idle workers
 * spin on it for {@code spinNanos} before parking, so back-to-back loops hand over in well under a
 * microsecond while an idle pool costs no CPU. Nothing is allocated per call: the task object belongs
 * to the caller, who reuses it.
 *
 * <p>Invariants: one loop runs at a time (calls from other threads wait; a nested call from inside a
 * task runs serially on the calling thread); {@code parallelFor} returns only after every index has
 * run; an exception thrown by a task is rethrown to the caller after the loop has drained.
 */
public final class WorkerPool implements AutoCloseable {

    /** One index of a parallel loop. {@code workerIndex} is in {@code [0, numThreads)}, for per-worker scratch. */
    @FunctionalInterface
    public interface Task {
        void run(int taskIndex, int workerIndex);
    }

    private static final long DEFAULT_SPIN_NANOS = 2_000_000L;

    private final int numThreads;
    private final long spinNanos;
    private final Thread[] threads;
    private final Worker[] workers;
    private final AtomicInteger nextIndex = new AtomicInteger();
    private final AtomicInteger busyWorkers = new AtomicInteger();
    private final Object callLock = new Object();

    private volatile long generation;
    private volatile boolean closed;
    private Task task;
    private int numTasks;
    private volatile Throwable failure;
    private Thread owner;

    public WorkerPool(int numThreads) {
        this(numThreads, "infera-cpu", DEFAULT_SPIN_NANOS);
    }

    /**
     * @param numThreads threads that run a loop, the calling thread included (>= 1)
     * @param namePrefix worker threads are named {@code namePrefix-worker-i}
     * @param spinNanos how long an idle worker spins before it parks
     */
    public WorkerPool(int numThreads, String namePrefix, long spinNanos) {
        if (numThreads < 1) {
            throw new IllegalArgumentException("numThreads must be >= 1, got " + numThreads);
        }
        if (spinNanos < 0) {
            throw new IllegalArgumentException("spinNanos must be >= 0, got " + spinNanos);
        }
        this.numThreads = numThreads;
        this.spinNanos = spinNanos;
        this.threads = new Thread[numThreads];
        this.workers = new Worker[numThreads];
        for (int i = 1; i < numThreads; i++) {
            workers[i] = new Worker(i);
            threads[i] = new Thread(workers[i], namePrefix + "-worker-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    public int numThreads() {
        return numThreads;
    }

    /** Runs {@code task.run(i, worker)} for every i in {@code [0, numTasks)} and returns when all are done. */
    public void parallelFor(int numTasks, Task task) {
        if (numTasks <= 0) {
            return;
        }
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        Thread me = Thread.currentThread();
        if (numThreads == 1 || numTasks == 1 || owner == me || isWorkerThread(me)) {
            for (int i = 0; i < numTasks; i++) {
                task.run(i, 0);
            }
            return;
        }
        synchronized (callLock) {
            owner = me;
            try {
                runLoop(numTasks, task);
            } finally {
                owner = null;
            }
        }
    }

    private void runLoop(int n, Task t) {
        this.task = t;
        this.numTasks = n;
        this.failure = null;
        nextIndex.set(0);
        busyWorkers.set(numThreads - 1);
        generation = generation + 1;
        for (int i = 1; i < numThreads; i++) {
            if (workers[i].parked) {
                LockSupport.unpark(threads[i]);
            }
        }
        drain(0);
        long spins = 0;
        while (busyWorkers.get() != 0) {
            if (++spins > 1_000_000) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
        this.task = null;
        Throwable f = failure;
        if (f != null) {
            failure = null;
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException("parallel task failed", f);
        }
    }

    private void drain(int workerIndex) {
        Task t = task;
        int n = numTasks;
        int i;
        while ((i = nextIndex.getAndIncrement()) < n) {
            try {
                t.run(i, workerIndex);
            } catch (Throwable e) {
                if (failure == null) {
                    failure = e;
                }
                nextIndex.set(n);
            }
        }
    }

    private boolean isWorkerThread(Thread t) {
        for (int i = 1; i < numThreads; i++) {
            if (threads[i] == t) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        generation = generation + 1;
        for (int i = 1; i < numThreads; i++) {
            LockSupport.unpark(threads[i]);
        }
        for (int i = 1; i < numThreads; i++) {
            try {
                threads[i].join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private final class Worker implements Runnable {
        private final int index;
        volatile boolean parked;

        Worker(int index) {
            this.index = index;
        }

        @Override
        public void run() {
            long seen = generation;
            while (true) {
                seen = awaitGeneration(seen);
                if (closed) {
                    return;
                }
                drain(index);
                busyWorkers.decrementAndGet();
            }
        }

        private long awaitGeneration(long seen) {
            long start = System.nanoTime();
            int spins = 0;
            while (true) {
                long g = generation;
                if (g != seen) {
                    return g;
                }
                if ((++spins & 255) == 0 && System.nanoTime() - start > spinNanos) {
                    parked = true;
                    if (generation == seen && !closed) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    start = System.nanoTime();
                } else {
                    Thread.onSpinWait();
                }
            }
        }
    }
}
