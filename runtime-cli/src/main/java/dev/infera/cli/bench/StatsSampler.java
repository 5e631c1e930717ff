package dev.infera.cli.bench;

import dev.infera.api.EngineStats;
import dev.infera.api.InferenceEngine;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Watches an engine while a run is in progress: samples {@link InferenceEngine#stats()} every
 * {@value #SAMPLE_MILLIS} ms on its own thread to keep the peak KV cache usage, and, when given a
 * stream, redraws a one-line progress report on it (carriage return, no newline) every
 * {@value #REDRAW_MILLIS} ms. {@link #close()} stops the thread and ends the progress line.
 */
final class StatsSampler implements AutoCloseable {

    static final long SAMPLE_MILLIS = 50;
    static final long REDRAW_MILLIS = 250;

    private final InferenceEngine engine;
    private final PrintStream progress;
    private final String label;
    private final int totalRequests;
    private final EngineStats start;
    private final long startNanos = System.nanoTime();
    private final Thread thread;
    private volatile boolean stopped;
    private volatile int peakKvBlocksUsed;
    private int lastLineLength;

    StatsSampler(InferenceEngine engine, PrintStream progress, String label, int totalRequests) {
        this.engine = engine;
        this.progress = progress;
        this.label = label;
        this.totalRequests = totalRequests;
        this.start = engine.stats();
        this.peakKvBlocksUsed = start.kvBlocksUsed();
        this.thread = Thread.ofPlatform().name("infera-bench-sampler").daemon(true).start(this::loop);
    }

    /** The engine's counters when sampling began. */
    EngineStats start() {
        return start;
    }

    /** The most KV blocks in use at any sample so far. */
    int peakKvBlocksUsed() {
        return peakKvBlocksUsed;
    }

    private void loop() {
        long lastDraw = 0;
        while (!stopped) {
            EngineStats s = sample();
            long now = System.nanoTime();
            if (progress != null && now - lastDraw >= TimeUnit.MILLISECONDS.toNanos(REDRAW_MILLIS)) {
                draw(s, now);
                lastDraw = now;
            }
            try {
                Thread.sleep(SAMPLE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Takes a sample. The engine keeps its own high-water mark of KV blocks, counted inside steps; when
     * it rose since sampling began, the new mark was reached during this run and is its peak exactly.
     * Otherwise the run's peak is the most seen in samples.
     */
    private synchronized EngineStats sample() {
        EngineStats s = engine.stats();
        int seen = s.kvBlocksPeak() > start.kvBlocksPeak() ? s.kvBlocksPeak() : s.kvBlocksUsed();
        if (seen > peakKvBlocksUsed) {
            peakKvBlocksUsed = seen;
        }
        return s;
    }

    private synchronized void draw(EngineStats s, long now) {
        double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
        long done = s.finishedRequests() - start.finishedRequests();
        long generated = s.generatedTokens() - start.generatedTokens();
        double kvPercent = s.kvBlocksTotal() == 0 ? 0 : 100.0 * s.kvBlocksUsed() / s.kvBlocksTotal();
        double peakPercent = s.kvBlocksTotal() == 0 ? 0 : 100.0 * peakKvBlocksUsed / s.kvBlocksTotal();
        String line = String.format(Locale.ROOT, "%s%d/%d done, %d running, %d waiting, %.1f out tok/s, KV %.0f%% "
                        + "(peak %.0f%%), %.1f s", label.isEmpty() ? "" : "[" + label + "] ", done, totalRequests,
                s.runningRequests(), s.waitingRequests(), generated / seconds, kvPercent, peakPercent, seconds);
        int pad = Math.max(0, lastLineLength - line.length());
        progress.print("\r" + line + " ".repeat(pad));
        progress.flush();
        lastLineLength = line.length();
    }

    @Override
    public void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        EngineStats last = sample();
        if (progress != null) {
            draw(last, System.nanoTime());
            progress.println();
        }
    }
}
