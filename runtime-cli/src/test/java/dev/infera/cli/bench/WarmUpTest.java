package dev.infera.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench's warm-up: how many requests it runs and the batch sizes their decode steps walk through. */
class WarmUpTest {

    private static BenchPlan planWithWarmup(int warmup) {
        BenchPlan p = ReportFilesTest.plan(null, Slo.NONE);
        return new BenchPlan(p.model(), p.modelDescription(), p.workload(), p.numPromptsGiven(), p.mode(), p.sweep(),
                p.engine(), p.sampling(), p.slo(), warmup, p.weightBytesPerStep(), p.bandwidthGbs(),
                p.bandwidthSource());
    }

    @Test
    void autoWarmUpMatchesTheConcurrencyWithinItsBounds() {
        BenchPlan auto = planWithWarmup(BenchPlan.AUTO_WARMUP);
        assertThat(auto.warmupRequestsFor(1)).isEqualTo(BenchPlan.MIN_AUTO_WARMUP);
        assertThat(auto.warmupRequestsFor(32)).isEqualTo(32);
        assertThat(auto.warmupRequestsFor(1000)).isEqualTo(BenchPlan.MAX_AUTO_WARMUP);
        assertThat(auto.toJson()).containsEntry("warmup_requests", "auto");
        BenchPlan given = planWithWarmup(3);
        assertThat(given.warmupRequestsFor(32)).isEqualTo(3);
        assertThat(planWithWarmup(0).warmupRequestsFor(32)).isZero();
        assertThat(given.toJson()).containsEntry("warmup_requests", 3);
    }

    @Test
    void warmUpRequestsAskForOneMoreTokenEachSoTheBatchShrinksStepByStepAndOnlyTheFirstHasALongPrompt() {
        int[] pool = {5, 6, 7, 8, 9};
        List<Workload.Request> requests = BenchRunner.warmUpRequests(5, BenchRunner.WARMUP_SHORT_INPUT_TOKENS + 20, 7,
                pool);
        assertThat(requests).hasSize(5);
        for (int i = 0; i < requests.size(); i++) {
            Workload.Request r = requests.get(i);
            assertThat(r.index()).isEqualTo(i);
            assertThat(r.outputTokens()).isEqualTo(BenchRunner.WARMUP_OUTPUT_TOKENS + i);
            assertThat(r.promptTokens()).hasSize(i == 0 ? BenchRunner.WARMUP_SHORT_INPUT_TOKENS + 20
                    : BenchRunner.WARMUP_SHORT_INPUT_TOKENS);
        }
    }
}
