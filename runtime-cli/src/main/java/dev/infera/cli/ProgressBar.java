package dev.infera.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar redrawn in place with a carriage return: done/total, errors, and the
 * generated tokens per second so far. Redraws at most every {@code 200 ms}; {@link #finish()} draws
 * the final state and ends the line. Thread-safe.
 */
final class ProgressBar {

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 200_000_000L;

    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private long total;
    private long done;
    private long errors;
    private long tokens;
    private long lastDrawNanos;

    ProgressBar(PrintStream out) {
        this.out = out;
    }

    synchronized void setTotal(long total) {
        this.total = total;
        redraw(false);
    }

    synchronized void advance(boolean error, long generatedTokens) {
        done++;
        if (error) {
            errors++;
        }
        tokens += generatedTokens;
        redraw(false);
    }

    synchronized void finish() {
        redraw(true);
        out.println();
    }

    private void redraw(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastDrawNanos < REDRAW_NANOS) {
            return;
        }
        lastDrawNanos = now;
        int filled = total == 0 ? 0 : (int) Math.min(WIDTH, done * WIDTH / total);
        double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
        out.print(String.format(Locale.ROOT, "\r[%s%s] %d/%d done, %d errors, %.1f tok/s", "#".repeat(filled),
                ".".repeat(WIDTH - filled), done, total, errors, tokens / seconds));
        out.flush();
    }
}
