package dev.infera.cpu.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's own worker threads, built for many short parallel loops per second (a decode
 * step runs hundreds of matrix products of a few microseconds each).
 *
 * <p>{@link #parallelFor} hands task indices {@code [0, numTasks)} to {@code numThreads} threads: the
 * calling thread is worker 0 and takes part; workers 1..n-1 are daemon threads owned by this pool
 * (never the common ForkJoinPool). Indices are claimed one at a time from a single atomic word that
 * packs (loop generation, task count, next index), so uneven tasks balance themselves, and a worker
 * that wakes late, or not at all (an oversubscribed machine), costs nothing: whoever is running takes
 * the remaining indices, and the caller waits only for indices that were actually claimed. Idle
 * workers spin on the claim word for {@code spinNanos} (yielding now and then) before parking, so
 * back-to-back loops hand over in well under a microsecond while an idle pool costs no CPU.
 * Nothing is allocated per call: the task object belongs to the caller, who reuses it.
 *
 * <p>Invariants: one loop runs at a time (calls from other threads wait; a nested call from inside a
 * task runs serially on the calling thread); the task reference is replaced only after every index of
 * the previous loop completed, so a claim made under generation g always runs generation g's task;
 * {@code parallelFor} returns after every index ran; a task's exception is rethrown to the caller
 * after the loop has drained.
 */
public final class WorkerPool implements AutoCloseable {

    /** One index of a parallel loop. {@code workerIndex} is in {@code [0, numThreads)}, for per-worker scratch. */
    @FunctionalInterface
    public interface Task {
        void run(int taskIndex, int workerIndex);
    }

    /** The most indices one loop may have (20 bits of the claim word). */
    public static final int MAX_TASKS = (1 << 20) - 1;
    private static final long DEFAULT_SPIN_NANOS = 1_000_000L;
    private static final int INDEX_BITS = 20;
    private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;

    private final int numThreads;
    private final long spinNanos;
    private final Thread[] threads;
    private final Worker[] workers;
    /** generation (24 bits) | numTasks (20 bits) | next index (20 bits). */
    private final AtomicLong claim = new AtomicLong();
    private final AtomicInteger completed = new AtomicInteger();
    private final Object callLock = new Object();

    private volatile Task task;
    private volatile Throwable failure;
    private volatile boolean closed;
    private long generation;
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
        if (numTasks > MAX_TASKS) {
            throw new IllegalArgumentException("at most " + MAX_TASKS + " tasks per loop, got " + numTasks);
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

    private void runLoop(int numTasks, Task t) {
        generation = (generation + 1) & 0xFFFFFF;
        long gen = generation;
        task = t;
        completed.set(0);
        claim.set((gen << (2 * INDEX_BITS)) | ((long) numTasks << INDEX_BITS));
        for (int i = 1; i < numThreads; i++) {
            if (workers[i].parked) {
                LockSupport.unpark(threads[i]);
            }
        }
        drain(gen, 0);
        int spins = 0;
        while (completed.get() != numTasks) {
            if (++spins % 4096 == 0) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
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

    /** Claims and runs indices of loop {@code gen} until none are left. */
    private void drain(long gen, int workerIndex) {
        while (true) {
            long c = claim.get();
            int index = (int) (c & INDEX_MASK);
            if ((c >>> (2 * INDEX_BITS)) != gen || index >= (int) ((c >>> INDEX_BITS) & INDEX_MASK)) {
                return;
            }
            if (!claim.compareAndSet(c, c + 1)) {
                continue;
            }
            try {
                if (failure == null) {
                    task.run(index, workerIndex);
                }
            } catch (Throwable e) {
                if (failure == null) {
                    failure = e;
                }
            } finally {
                completed.incrementAndGet();
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
            long seenGen = claim.get() >>> (2 * INDEX_BITS);
            while (!closed) {
                long gen = awaitNewLoop(seenGen);
                if (gen < 0) {
                    return;
                }
                seenGen = gen;
                drain(gen, index);
            }
        }

        /** Waits until the claim word shows a generation other than {@code seenGen}; -1 when closed. */
        private long awaitNewLoop(long seenGen) {
            long start = System.nanoTime();
            int spins = 0;
            while (true) {
                long gen = claim.get() >>> (2 * INDEX_BITS);
                if (gen != seenGen) {
                    return gen;
                }
                if (closed) {
                    return -1;
                }
                if (++spins % 1024 != 0) {
                    Thread.onSpinWait();
                } else if (System.nanoTime() - start < spinNanos) {
                    Thread.yield();
                } else {
                    parked = true;
                    if ((claim.get() >>> (2 * INDEX_BITS)) == seenGen && !closed) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    start = System.nanoTime();
                }
            }
        }
    }
}
