package dev.infera.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.infera.api.EngineStats;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunMetricsTest {

    private static EngineStats stats(long query, long hits, long preemptions, long steps, int kvTotal) {
        return decodeStats(query, hits, preemptions, steps, kvTotal, 0, 0, 0, 0);
    }

    private static EngineStats decodeStats(long query, long hits, long preemptions, long steps, int kvTotal,
            long decodeSteps, long decodeTokens, double decodeSeconds, long prefixWaits) {
        return new EngineStats(0, 0, 0, kvTotal, query, hits, preemptions, steps, 0, 0, 0, 0, 0, 0, 0, decodeSteps,
                decodeTokens, decodeSeconds, prefixWaits);
    }

    @Test
    void throughputGoodputAndEngineDeltasComeFromTheMeasurement() {
        List<RequestOutcome> outcomes = List.of(
                new RequestOutcome(0, 100, 64, 10, 1, 80, 9, new double[] {8, 10}, 170, null),
                new RequestOutcome(1, 100, 0, 20, 1, 120, 9, new double[] {9, 9}, 300, null),
                new RequestOutcome(2, 50, 0, 30, 1, 90, 12, new double[] {12}, 400, null),
                RequestOutcome.failed(3, 70, "RequestTooLargeException: too big"));
        LoadDriver.Measurement m = new LoadDriver.Measurement(outcomes, 2_000_000_000L,
                decodeStats(1000, 100, 1, 50, 400, 7, 70, 3.0, 4), decodeStats(1250, 164, 3, 150, 400, 87, 3270, 4.0, 9),
                100);
        RunMetrics r = RunMetrics.compute("concurrency=4", LoadMode.OFFLINE.withMaxConcurrency(4), m,
                Slo.parse("ttft=100,tpot=10"), 1_000_000_000L, 100);
        assertThat(r.completed()).isEqualTo(3);
        assertThat(r.failed()).isEqualTo(1);
        assertThat(r.firstError()).contains("too big");
        assertThat(r.durationSeconds()).isEqualTo(2.0);
        assertThat(r.inputTokens()).isEqualTo(250);
        assertThat(r.cachedPromptTokens()).isEqualTo(64);
        assertThat(r.outputTokens()).isEqualTo(60);
        assertThat(r.requestThroughput()).isEqualTo(1.5);
        assertThat(r.outputThroughput()).isEqualTo(30);
        assertThat(r.totalThroughput()).isEqualTo(155);
        // Only request 0 meets ttft <= 100 and tpot <= 10.
        assertThat(r.goodRequests()).isEqualTo(1);
        assertThat(r.goodput()).isEqualTo(0.5);
        assertThat(r.ttft().p50()).isEqualTo(90);
        assertThat(r.itl().count()).isEqualTo(5);
        assertThat(r.e2e().max()).isEqualTo(400);
        assertThat(r.prefixQueryTokens()).isEqualTo(250);
        assertThat(r.prefixHitTokens()).isEqualTo(64);
        assertThat(r.prefixHitRate()).isCloseTo(0.256, within(1e-12));
        assertThat(r.preemptions()).isEqualTo(2);
        assertThat(r.prefixWaits()).isEqualTo(5);
        assertThat(r.steps()).isEqualTo(100);
        assertThat(r.meanStepMs()).isEqualTo(20);
        // 80 decode-only steps generated 3200 tokens in 1 s.
        assertThat(r.decodeSteps()).isEqualTo(80);
        assertThat(r.decodeThroughput()).isEqualTo(3200);
        assertThat(r.peakKvFraction()).isEqualTo(0.25);
        // 100 steps x 1 GB in 2 s = 50 GB/s of a 100 GB/s machine.
        assertThat(r.weightReadGbs()).isEqualTo(50);
        assertThat(r.rooflineFraction()).isEqualTo(0.5);
    }

    @Test
    void withoutAnSloOrBandwidthThoseNumbersAreUnknown() {
        LoadDriver.Measurement m = new LoadDriver.Measurement(
                List.of(new RequestOutcome(0, 10, 0, 1, 0, 5, Double.NaN, new double[0], 5, null)), 1_000_000_000L,
                stats(0, 0, 0, 0, 10), stats(0, 0, 0, 2, 10), 1);
        RunMetrics r = RunMetrics.compute("", LoadMode.OFFLINE, m, Slo.NONE, 1000, Double.NaN);
        assertThat(r.goodput()).isNaN();
        assertThat(r.prefixHitRate()).isNaN();
        assertThat(r.rooflineFraction()).isNaN();
        assertThat(r.decodeThroughput()).isNaN();
        assertThat(r.tpot().count()).isZero();
        assertThat(r.toJson()).containsEntry("goodput", null).containsEntry("roofline_fraction", null)
                .containsEntry("decode_throughput", null)
                .containsEntry("good_requests", null);
    }
}
