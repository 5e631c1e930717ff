package dev.infera.cuda;

import dev.infera.cuda.plan.GraphBuckets;
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

    private final Gpu gpu;
    private final Map<Key, Gpu.Graph> executables = new HashMap<>();
    private long captures;
    private long replays;

    GraphCache(Gpu gpu) {
        this.gpu = gpu;
    }

    /** Launches the graph for {@code key}, first capturing it from what {@code issue} enqueues. */
    void launch(Key key, Runnable issue) {
        Gpu.Graph exec = executables.get(key);
        if (exec == null) {
            exec = capture(issue);
            executables.put(key, exec);
            captures++;
        } else {
            replays++;
        }
        exec.launch();
    }

    private Gpu.Graph capture(Runnable issue) {
        gpu.beginCapture();
        try {
            issue.run();
        } catch (RuntimeException e) {
            try {
                gpu.endCapture().destroy();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return gpu.endCapture();
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
        for (Gpu.Graph exec : executables.values()) {
            try {
                exec.destroy();
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
