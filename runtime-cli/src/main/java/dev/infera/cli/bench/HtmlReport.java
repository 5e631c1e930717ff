package dev.infera.cli.bench;

import dev.infera.core.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The self-contained report of {@code --html FILE}: one HTML file with inline CSS and inline SVG charts
 * (no scripts, no external resources), so it opens in any browser offline. A sweep gets throughput
 * and latency-percentile charts over its levels; a single run gets percentile bars per latency
 * metric. Below the charts: a table of every run's main numbers and the full configuration.
 */
public final class HtmlReport {

    private HtmlReport() {
    }

    public static void write(Path file, BenchPlan plan, List<RunMetrics> runs) throws IOException {
        Files.writeString(file, render(plan, runs));
    }

    static String render(BenchPlan plan, List<RunMetrics> runs) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.append("<title>infera bench report</title><style>");
        sb.append("body{font-family:system-ui,sans-serif;margin:24px;color:#222}h1{font-size:22px}");
        sb.append(".charts{display:flex;flex-wrap:wrap;gap:16px}.charts svg{border:1px solid #ddd}.wide{overflow-x:auto}");
        sb.append("table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:3px 8px;");
        sb.append("text-align:right;font-size:13px}th{background:#f3f3f3}pre{background:#f7f7f7;padding:8px;");
        sb.append("font-size:12px;overflow:auto}</style></head><body>\n");
        sb.append("<h1>infera bench</h1><p>").append(SvgChart.esc(plan.modelDescription())).append("<br>");
        sb.append("Load: ").append(SvgChart.esc(plan.sweep() != null ? "sweep " + plan.sweep() + " ("
                + plan.mode().describe() + " otherwise)" : plan.mode().describe())).append("</p>\n");
        sb.append("<div class=\"charts\">");
        if (plan.sweep() != null) {
            sweepCharts(sb, plan, runs);
        } else {
            singleRunCharts(sb, runs.getFirst());
        }
        sb.append("</div>\n<h2>Results</h2>");
        table(sb, plan, runs);
        sb.append("<h2>Configuration</h2><pre>").append(SvgChart.esc(Json.writePretty(plan.toJson())))
                .append("</pre>\n</body></html>\n");
        return sb.toString();
    }

    private static void sweepCharts(StringBuilder sb, BenchPlan plan, List<RunMetrics> runs) {
        List<String> levels = plan.sweep().values().stream().map(Sweep::format).toList();
        String x = plan.sweep().parameter().equals(Sweep.CONCURRENCY) ? "max concurrency" : "request rate (req/s)";
        sb.append(SvgChart.line("Throughput", x, levels, "tokens/s", List.of(
                series("output tok/s", runs, RunMetrics::outputThroughput),
                series("decode tok/s", runs, RunMetrics::decodeThroughput),
                series("total tok/s", runs, RunMetrics::totalThroughput))));
        sb.append(SvgChart.line("Time to first token", x, levels, "ms", List.of(
                series("p50", runs, r -> r.ttft().p50()), series("p90", runs, r -> r.ttft().p90()),
                series("p99", runs, r -> r.ttft().p99()))));
        sb.append(SvgChart.line("Time per output token", x, levels, "ms", List.of(
                series("p50", runs, r -> r.tpot().p50()), series("p90", runs, r -> r.tpot().p90()),
                series("p99", runs, r -> r.tpot().p99()), series("ITL p99", runs, r -> r.itl().p99()))));
        sb.append(SvgChart.line("End-to-end latency", x, levels, "ms", List.of(
                series("p50", runs, r -> r.e2e().p50()), series("p90", runs, r -> r.e2e().p90()),
                series("p99", runs, r -> r.e2e().p99()))));
    }

    private static void singleRunCharts(StringBuilder sb, RunMetrics r) {
        List<String> ps = List.of("mean", "p50", "p90", "p99");
        String[] names = {"Time to first token", "Time per output token", "Inter-token latency", "End-to-end latency"};
        LatencyStats[] stats = {r.ttft(), r.tpot(), r.itl(), r.e2e()};
        for (int i = 0; i < names.length; i++) {
            LatencyStats s = stats[i];
            sb.append(SvgChart.bars(names[i], "statistic", ps, "ms", List.of(new SvgChart.Series(names[i],
                    new double[] {s.mean(), s.p50(), s.p90(), s.p99()}))));
        }
    }

    private static SvgChart.Series series(String name, List<RunMetrics> runs, ToDoubleFunction<RunMetrics> f) {
        return new SvgChart.Series(name, runs.stream().mapToDouble(f).toArray());
    }

    private static void table(StringBuilder sb, BenchPlan plan, List<RunMetrics> runs) {
        List<String> head = new ArrayList<>(List.of("run", "requests", "failed", "duration s"));
        head.addAll(TextReport.RATE_AND_LATENCY_HEADS);
        head.addAll(List.of("E2E p99", "prefix hits", "preempt", "peak KV", "roofline"));
        if (plan.slo().isSet()) {
            head.add("goodput req/s");
        }
        sb.append("<div class=\"wide\"><table><tr>");
        head.forEach(h -> sb.append("<th>").append(SvgChart.esc(h)).append("</th>"));
        sb.append("</tr>");
        for (RunMetrics r : runs) {
            List<String> cells = new ArrayList<>(List.of(r.label().isEmpty() ? "run" : r.label(),
                    Integer.toString(r.numRequests()), Integer.toString(r.failed()), TextReport.fmt(r.durationSeconds(), 2)));
            cells.addAll(TextReport.rateAndLatencyCells(r));
            cells.addAll(List.of(TextReport.fmt(r.e2e().p99(), 0), TextReport.percent(r.prefixHitRate()),
                    Long.toString(r.preemptions()), TextReport.percent(r.peakKvFraction()),
                    TextReport.percent(r.rooflineFraction())));
            if (plan.slo().isSet()) {
                cells.add(TextReport.fmt(r.goodput(), 2));
            }
            sb.append("<tr>");
            cells.forEach(c -> sb.append("<td>").append(SvgChart.esc(c)).append("</td>"));
            sb.append("</tr>");
        }
        sb.append("</table></div><p>Latencies in milliseconds.</p>");
    }
}
