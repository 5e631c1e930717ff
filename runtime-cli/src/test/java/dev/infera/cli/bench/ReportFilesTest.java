package dev.infera.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.EngineStats;
import dev.infera.api.KvCacheType;
import dev.infera.api.SamplingParams;
import dev.infera.core.json.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class ReportFilesTest {

    static BenchPlan plan(Sweep sweep, Slo slo) {
        return new BenchPlan(Path.of("m.gguf"), "m.gguf (llama, 1 layers) <test & \"quotes\">",
                new WorkloadSpec(4, 8, 4, 0, 0, 1, 0), false, LoadMode.OFFLINE, sweep,
                new EngineSettings("cpu", 2, 2048, 256, 0, 16, KvCacheType.AUTO, true), SamplingParams.greedy(), slo, 1, 1_000_000,
                40.0, "--bandwidth-gbs");
    }

    static RunMetrics run(String label, double scale, boolean empty) {
        List<RequestOutcome> outcomes = new ArrayList<>();
        if (!empty) {
            for (int i = 0; i < 4; i++) {
                outcomes.add(new RequestOutcome(i, 8, 0, 4, 0.1, 10 * scale + i, 2 * scale, new double[] {2 * scale,
                    2 * scale + 1}, 20 * scale + i, null));
            }
        } else {
            outcomes.add(RequestOutcome.failed(0, 8, "failed <badly>"));
        }
        EngineStats a = new EngineStats(0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        EngineStats b = new EngineStats(0, 0, 0, 100, 32, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        return RunMetrics.compute(label, LoadMode.OFFLINE, new LoadDriver.Measurement(outcomes, 500_000_000L, a, b, 7),
                Slo.parse("ttft=12"), 1_000_000_000L, 40.0);
    }

    @Test
    void jsonHoldsTheConfigurationAndEveryRunWithNullForUnknowns() {
        BenchPlan plan = plan(Sweep.parse("concurrency=1,4"), Slo.parse("ttft=12"));
        String text = Json.writePretty(JsonReport.toJson(plan, List.of(run("concurrency=1", 1, false),
                run("concurrency=4", 2, true))));
        Map<String, Object> root = Json.parseObject(text);
        assertThat(root).containsEntry("format_version", 1L);
        Map<String, Object> config = Json.asObject(root.get("config"), "config");
        assertThat(config).containsEntry("sweep", "concurrency=1,4").containsKeys("workload", "engine", "host",
                "sampling", "slo", "bandwidth_gbs");
        List<Object> runs = Json.asArray(root.get("runs"), "runs");
        assertThat(runs).hasSize(2);
        Map<String, Object> first = Json.asObject(runs.get(0), "run");
        assertThat(first).containsEntry("completed", 4L).containsEntry("good_requests", 3L)
                .containsEntry("total_output_tokens", 16L);
        assertThat(Json.asObject(first.get("ttft_ms"), "ttft")).containsEntry("p50", 11.5);
        List<Object> requests = Json.asArray(first.get("requests"), "requests");
        assertThat(requests).hasSize(4);
        assertThat(Json.asObject(requests.get(1), "request")).containsEntry("index", 1L).containsEntry("ttft_ms", 11.0)
                .containsEntry("itl_ms", List.of(2.0, 3.0)).containsEntry("error", null);
        Map<String, Object> second = Json.asObject(runs.get(1), "run");
        assertThat(second).containsEntry("failed", 1L).containsEntry("first_error", "failed <badly>");
        assertThat(Json.asObject(second.get("tpot_ms"), "tpot")).containsEntry("mean", null);
        assertThat(Json.asObject(Json.asArray(second.get("requests"), "requests").getFirst(), "request"))
                .containsEntry("ttft_ms", null).containsEntry("error", "failed <badly>");
    }

    @Test
    void htmlIsSelfContainedAndItsChartsAreWellFormedSvg() throws Exception {
        for (BenchPlan plan : List.of(plan(Sweep.parse("concurrency=1,4,16"), Slo.parse("ttft=12")),
                plan(null, Slo.NONE))) {
            List<RunMetrics> runs = plan.sweep() == null ? List.of(run("", 1, false))
                    : List.of(run("concurrency=1", 1, false), run("concurrency=4", 3, false), run("concurrency=16", 9, true));
            String html = HtmlReport.render(plan, runs);
            assertThat(html).startsWith("<!DOCTYPE html>").contains("<meta charset=\"utf-8\">").endsWith("</html>\n");
            assertThat(html).doesNotContain("<script").doesNotContain("src=").doesNotContain("<link")
                    .doesNotContain("@import");
            assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http:").doesNotContain("https:");
            assertThat(html).contains("&lt;test &amp; &quot;quotes&quot;&gt;").doesNotContain("<test");
            Matcher svg = Pattern.compile("<svg.*?</svg>", Pattern.DOTALL).matcher(html);
            int charts = 0;
            while (svg.find()) {
                Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                        .parse(new ByteArrayInputStream(svg.group().getBytes(StandardCharsets.UTF_8)));
                assertThat(d.getDocumentElement().getTagName()).isEqualTo("svg");
                assertThat(d.getElementsByTagName("text").getLength()).isGreaterThan(3);
                charts++;
            }
            assertThat(charts).isEqualTo(4);
            assertThat(count(html, "<tr>")).isEqualTo(runs.size() + 1);
            assertBalanced(html, "table");
            assertBalanced(html, "div");
            assertBalanced(html, "pre");
        }
    }

    @Test
    void sweepTableHasARowPerLevelAndUnknownsAsDashes() {
        BenchPlan plan = plan(Sweep.parse("concurrency=1,4"), Slo.NONE);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TextReport.printSweepTable(new PrintStream(bytes, true, StandardCharsets.UTF_8), plan,
                List.of(run("concurrency=1", 1, false), run("concurrency=4", 2, true)));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(1)).contains("concurrency").contains("out tok/s").contains("TTFT p99");
        assertThat(lines.get(3).trim()).startsWith("1 ");
        assertThat(lines.get(4).trim()).startsWith("4 ").contains(" - ");
        bytes.reset();
        TextReport.printSummary(new PrintStream(bytes, true, StandardCharsets.UTF_8), plan(null, Slo.parse("ttft=12")),
                run("", 1, false));
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("Successful requests:                     4")
                .contains("Goodput (req/s) [ttft=12]:").contains("Median TTFT (ms):                        11.50")
                .contains("Decode roofline fraction:                60.0%");
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static void assertBalanced(String html, String tag) {
        assertThat(count(html, "<" + tag)).as(tag).isEqualTo(count(html, "</" + tag + ">"));
    }
}
