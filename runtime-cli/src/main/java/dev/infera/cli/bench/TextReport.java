package dev.infera.cli.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The console report: a summary block per run in the layout of the serving benchmarks people know
 * (throughputs, then TTFT, TPOT, ITL and end-to-end latency), followed by the engine's side (prefix
 * cache, preemptions, KV usage, roofline); and for a sweep, one table with a row per level so a
 * throughput cliff is visible at a glance. Unknown values print as {@code -}.
 */
public final class TextReport {

    private static final int WIDTH = 60;

    private TextReport() {
    }

    /** The summary of one run. */
    public static void printSummary(PrintStream out, BenchPlan plan, RunMetrics r) {
        out.println(rule(" Infera Benchmark Result " + (r.label().isEmpty() ? "" : "(" + r.label() + ") "), '='));
        line(out, "Model:", plan.modelDescription());
        line(out, "Load:", r.mode().describe());
        line(out, "Successful requests:", Integer.toString(r.completed()));
        if (r.failed() > 0) {
            line(out, "Failed requests:", r.failed() + " (first: " + r.firstError() + ")");
        }
        line(out, "Benchmark duration (s):", fmt(r.durationSeconds(), 2));
        line(out, "Total input tokens:", Long.toString(r.inputTokens()));
        line(out, "  of which from prefix cache:", Long.toString(r.cachedPromptTokens()));
        line(out, "Total generated tokens:", Long.toString(r.outputTokens()));
        line(out, "Request throughput (req/s):", fmt(r.requestThroughput(), 2));
        line(out, "Output token throughput (tok/s):", fmt(r.outputThroughput(), 1));
        line(out, "Decode throughput (tok/s):", fmt(r.decodeThroughput(), 1) + " (" + r.decodeSteps()
                + " decode-only steps)");
        line(out, "Total token throughput (tok/s):", fmt(r.totalThroughput(), 1));
        if (r.slo().isSet()) {
            line(out, "Goodput (req/s) [" + r.slo() + "]:", fmt(r.goodput(), 2) + " (" + r.goodRequests() + " of "
                    + r.completed() + " requests)");
        }
        latency(out, "Time to First Token", "TTFT", r.ttft());
        latency(out, "Time per Output Token (excl. 1st token)", "TPOT", r.tpot());
        latency(out, "Inter-token Latency", "ITL", r.itl());
        latency(out, "End-to-end Latency", "E2EL", r.e2e());
        out.println(rule("Engine", '-'));
        line(out, "Prefix cache hit rate:", percent(r.prefixHitRate()) + " (" + r.prefixHitTokens() + " of "
                + r.prefixQueryTokens() + " prompt tokens)");
        line(out, "Prefix waits:", r.prefixWaits() + " (requests held a step for a prefix being computed)");
        line(out, "Preemptions:", Long.toString(r.preemptions()));
        line(out, "Peak KV cache usage:", percent(r.peakKvFraction()) + " (" + r.peakKvBlocksUsed() + " of "
                + r.kvBlocksTotal() + " blocks)");
        line(out, "Model steps:", r.steps() + " (mean " + fmt(r.meanStepMs(), 2) + " ms)");
        line(out, "Weights read per step (MB):", fmt(r.weightBytesPerStep() / 1e6, 1));
        line(out, "Weight read rate (GB/s):", fmt(r.weightReadGbs(), 2));
        line(out, "Memory bandwidth (GB/s):", fmt(r.bandwidthGbs(), 1) + " (" + plan.bandwidthSource() + ")");
        line(out, "Decode roofline fraction:", percent(r.rooflineFraction()));
        out.println("=".repeat(WIDTH));
    }

    /** Headings of the throughput and latency columns both result tables share, in order. */
    static final List<String> RATE_AND_LATENCY_HEADS = List.of("req/s", "out tok/s", "decode tok/s", "total tok/s",
            "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "ITL p99", "E2E p50");

    /** A run's cells under {@link #RATE_AND_LATENCY_HEADS}. */
    static List<String> rateAndLatencyCells(RunMetrics r) {
        return List.of(fmt(r.requestThroughput(), 2), fmt(r.outputThroughput(), 1), fmt(r.decodeThroughput(), 1),
                fmt(r.totalThroughput(), 1), fmt(r.ttft().p50(), 1), fmt(r.ttft().p99(), 1), fmt(r.tpot().p50(), 2),
                fmt(r.tpot().p99(), 2), fmt(r.itl().p99(), 2), fmt(r.e2e().p50(), 0));
    }

    /** One table, a row per sweep level. */
    public static void printSweepTable(PrintStream out, BenchPlan plan, List<RunMetrics> runs) {
        List<String> headList = new ArrayList<>(List.of(plan.sweep().parameter(), "prompts"));
        headList.addAll(RATE_AND_LATENCY_HEADS);
        headList.addAll(List.of("peak KV", "preempt", "roofline"));
        String[] head = headList.toArray(String[]::new);
        String[][] rows = new String[runs.size()][];
        for (int i = 0; i < runs.size(); i++) {
            RunMetrics r = runs.get(i);
            List<String> cells = new ArrayList<>(List.of(Sweep.format(plan.sweep().values().get(i)),
                    Integer.toString(r.numRequests())));
            cells.addAll(rateAndLatencyCells(r));
            cells.addAll(List.of(percent(r.peakKvFraction()), Long.toString(r.preemptions()),
                    percent(r.rooflineFraction())));
            rows[i] = cells.toArray(String[]::new);
        }
        int[] widths = new int[head.length];
        for (int c = 0; c < head.length; c++) {
            widths[c] = head[c].length();
            for (String[] row : rows) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        out.println("Sweep over " + plan.sweep() + " on " + plan.modelDescription() + " (latencies in ms)");
        out.println(row(head, widths));
        StringBuilder sep = new StringBuilder();
        for (int w : widths) {
            sep.append(sep.isEmpty() ? "" : "  ").append("-".repeat(w));
        }
        out.println(sep);
        for (String[] r : rows) {
            out.println(row(r, widths));
        }
    }

    private static String row(String[] cells, int[] widths) {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            if (c > 0) {
                sb.append("  ");
            }
            sb.append(" ".repeat(widths[c] - cells[c].length())).append(cells[c]);
        }
        return sb.toString();
    }

    private static void latency(PrintStream out, String title, String shortName, LatencyStats s) {
        out.println(rule(title, '-'));
        line(out, "Mean " + shortName + " (ms):", fmt(s.mean(), 2));
        line(out, "Median " + shortName + " (ms):", fmt(s.p50(), 2));
        line(out, "P90 " + shortName + " (ms):", fmt(s.p90(), 2));
        line(out, "P99 " + shortName + " (ms):", fmt(s.p99(), 2));
    }

    private static void line(PrintStream out, String name, String value) {
        out.println(String.format(Locale.ROOT, "%-40s %s", name, value));
    }

    private static String rule(String title, char c) {
        int left = Math.max(0, (WIDTH - title.length()) / 2);
        int right = Math.max(0, WIDTH - title.length() - left);
        return String.valueOf(c).repeat(left) + title + String.valueOf(c).repeat(right);
    }

    /** A number with {@code decimals} places, or {@code -} when it is unknown. */
    static String fmt(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "-";
    }

    static String percent(double fraction) {
        return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.1f%%", fraction * 100) : "-";
    }
}
