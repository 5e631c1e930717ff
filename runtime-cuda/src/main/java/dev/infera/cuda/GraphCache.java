package dev.infera.cuda;

import dev.infera.cuda.driver.CudaDriver;
import dev.infera.cuda.plan.GraphBuckets;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * Executable CUDA graphs of decode steps, one per (bucket, table stride, greedy) key, captured the
 * first time a key is needed and replayed after. A graph records device addresses, so every graph is
 * dropped ({@link #clear()}) when the scratch buffers or the KV cache move.
 */
final class GraphCache implements AutoCloseable {

    /** A graph's identity: the padded shape and whether it ends with the argmax. */
    record Key(GraphBuckets.Key shape, boolean greedy) {
    }

    private final CudaDriver driver;
    private final MemorySegment stream;
    private final Map<Key, MemorySegment> executables = new HashMap<>();
    private long captures;
    private long replays;

    GraphCache(CudaDriver driver, MemorySegment stream) {
        this.driver = driver;
        this.stream = stream;
    }

    /** Launches the graph for {@code key}, first capturing it from what {@code issue} enqueues. */
    void launch(Key key, Runnable issue) {
        MemorySegment exec = executables.get(key);
        if (exec == null) {
            exec = capture(issue);
            executables.put(key, exec);
            captures++;
        } else {
            replays++;
        }
        driver.launchGraph(exec, stream);
    }

    private MemorySegment capture(Runnable issue) {
        driver.beginCapture(stream);
        MemorySegment graph;
        try {
            issue.run();
        } catch (RuntimeException e) {
            try {
                driver.destroyGraph(driver.endCapture(stream));
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        graph = driver.endCapture(stream);
        try {
            return driver.instantiate(graph);
        } finally {
            driver.destroyGraph(graph);
        }
    }

    int size() {
        return executables.size();
    }

    long captures() {
        return captures;
    }

    long replays() {
        return replays;
    }

    void clear() {
        RuntimeException first = null;
        for (MemorySegment exec : executables.values()) {
            try {
                driver.destroyGraphExec(exec);
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        executables.clear();
        if (first != null) {
            throw first;
        }
    }

    @Override
    public void close() {
        clear();
    }
}
