package dev.infera.core.engine.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.SchedulingPolicy;
import dev.infera.core.engine.sched.SchedulerHarness.TestSeq;
import dev.infera.core.testing.FakeBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SchedulerTest {

    private static final int V = SchedulerHarness.VOCAB;

    private static int[] prompt(int length, int seed) {
        Random r = new Random(seed);
        return IntStream.range(0, length).map(i -> 3 + r.nextInt(V - 3)).toArray();
    }

    private static void assertCorrect(TestSeq s, int[] prompt) {
        assertThat(s.generated()).as("tokens of request %d", s.id()).containsExactly(FakeBackend.expected(prompt, s.maxNew, V));
    }

    @Test
    void budgetIsSpentOnRunningFirstThenWaitingWithChunking() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 10, 8, SchedulingPolicy.FCFS, false);
        h.add(1, prompt(7, 1), 3);
        h.add(2, prompt(7, 2), 3);
        h.add(3, prompt(7, 3), 3);
        h.step();
        h.step();
        h.step();
        assertThat(h.plans.get(0)).containsExactly("1:7", "2:3");
        assertThat(h.plans.get(1)).containsExactly("1:1", "2:4", "3:5");
        assertThat(h.plans.get(2)).containsExactly("1:1", "2:1", "3:2");
        h.runToCompletion(20);
        assertThat(h.backend.stepTokenCounts()).allMatch(n -> n <= 10);
        assertThat(h.finished).hasSize(3);
        assertThat(h.kv.numUsedBlocks()).isZero();
    }

    @Test
    void longPromptIsChunkedAndOnlyItsLastChunkSamples() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 16, 8, SchedulingPolicy.FCFS, false);
        int[] p = prompt(50, 4);
        TestSeq s = h.add(1, p, 2);
        h.runToCompletion(10);
        assertThat(h.plans).extracting(l -> l.get(0)).containsExactly("1:16", "1:16", "1:16", "1:2", "1:1");
        assertCorrect(s, p);
    }

    @Test
    void decodesAreNotStalledByALongPrompt() {
        SchedulerHarness h = new SchedulerHarness(128, 4, 8, 8, SchedulingPolicy.FCFS, false);
        h.add(1, prompt(3, 5), 10);
        h.step();
        h.add(2, prompt(100, 6), 1);
        for (int i = 0; i < 5; i++) {
            h.step();
        }
        for (int i = 1; i < 6; i++) {
            assertThat(h.plans.get(i)).startsWith("1:1").contains("2:7");
        }
    }

    @Test
    void maxRunningRequestsCapsTheRunningSet() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 100, 2, SchedulingPolicy.FCFS, false);
        for (int i = 0; i < 5; i++) {
            h.add(i, prompt(4, 10 + i), 3);
        }
        h.step();
        assertThat(h.scheduler.numRunning()).isEqualTo(2);
        assertThat(h.scheduler.numWaiting()).isEqualTo(3);
        h.runToCompletion(50);
        assertThat(h.plans).allMatch(p -> p.size() <= 2);
        assertThat(h.finished).extracting(Sequence::id).containsExactly(0L, 1L, 2L, 3L, 4L);
    }

    @Test
    void priorityPolicyAdmitsHigherPriorityFirst() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 100, 1, SchedulingPolicy.PRIORITY, false);
        h.add(1, prompt(4, 1), 1, 1, null);
        h.add(2, prompt(4, 2), 1, 5, null);
        h.add(3, prompt(4, 3), 1, 3, null);
        h.add(4, prompt(4, 4), 1, 5, null);
        h.runToCompletion(20);
        assertThat(h.finished).extracting(Sequence::id).containsExactly(2L, 4L, 3L, 1L);
    }

    @Test
    void fcfsIgnoresPriority() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 100, 1, SchedulingPolicy.FCFS, false);
        h.add(1, prompt(4, 1), 1, 1, null);
        h.add(2, prompt(4, 2), 1, 5, null);
        h.runToCompletion(20);
        assertThat(h.finished).extracting(Sequence::id).containsExactly(1L, 2L);
    }

    @Test
    void higherPriorityArrivalPreemptsLowerPriorityRunningRequest() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 100, 2, SchedulingPolicy.PRIORITY, false);
        int[] p1 = prompt(5, 1);
        int[] p2 = prompt(5, 2);
        int[] p3 = prompt(5, 3);
        TestSeq low = h.add(1, p1, 6, 0, null);
        TestSeq mid = h.add(2, p2, 6, 1, null);
        h.step();
        h.step();
        TestSeq high = h.add(3, p3, 6, 9, null);
        h.step();
        assertThat(low.numPreemptions()).isEqualTo(1);
        assertThat(mid.numPreemptions()).isZero();
        assertThat(h.plans.get(2)).containsExactly("2:1", "3:5");
        h.runToCompletion(60);
        assertCorrect(low, p1);
        assertCorrect(mid, p2);
        assertCorrect(high, p3);
        assertThat(h.kv.numUsedBlocks()).isZero();
    }

    @Test
    void outOfBlocksPreemptsLatestArrivalFirstAndOutputsStayCorrect() {
        // 8 blocks of 4 tokens: 4 requests growing to 4 + 11 tokens each cannot all stay.
        SchedulerHarness h = new SchedulerHarness(8, 4, 64, 8, SchedulingPolicy.FCFS, true);
        List<int[]> prompts = new ArrayList<>();
        List<TestSeq> seqs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            prompts.add(prompt(4, 20 + i));
            seqs.add(h.add(i, prompts.get(i), 12));
        }
        h.runToCompletion(200);
        assertThat(h.scheduler.numPreemptions()).isPositive().isEqualTo(h.preempted.size());
        assertThat(h.preempted.getFirst()).isEqualTo(3L);
        assertThat(seqs.get(0).numPreemptions()).isZero();
        for (int i = 0; i < 4; i++) {
            assertCorrect(seqs.get(i), prompts.get(i));
        }
        assertThat(h.kv.numUsedBlocks()).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void randomWorkloadsGiveEveryRequestItsSoloOutput(int seed) {
        Random r = new Random(seed);
        SchedulingPolicy policy = seed % 2 == 0 ? SchedulingPolicy.PRIORITY : SchedulingPolicy.FCFS;
        SchedulerHarness h = new SchedulerHarness(24 + r.nextInt(40), 4, 8 + r.nextInt(40), 1 + r.nextInt(10), policy,
                r.nextBoolean());
        int[] shared = prompt(30, seed);
        List<int[]> prompts = new ArrayList<>();
        List<TestSeq> seqs = new ArrayList<>();
        int next = 0;
        for (int step = 0; step < 3000 && (next < 40 || h.scheduler.hasWork()); step++) {
            if (next < 40 && r.nextInt(3) == 0) {
                int len = 1 + r.nextInt(40);
                int[] p = prompt(len, 1000 * seed + next);
                if (r.nextBoolean()) {
                    System.arraycopy(shared, 0, p, 0, Math.min(len - 1, 20 + r.nextInt(10)));
                }
                prompts.add(p);
                seqs.add(h.add(next++, p, 1 + r.nextInt(30), r.nextInt(3), r.nextInt(4) == 0 ? "salt" : null));
            }
            h.step();
        }
        assertThat(h.finished).hasSize(40);
        for (int i = 0; i < seqs.size(); i++) {
            assertCorrect(seqs.get(i), prompts.get(i));
        }
        assertThat(h.kv.numUsedBlocks()).isZero();
        assertThat(h.kv.numComputingBlocks()).isZero();
    }

    @Test
    void prefixCacheHitSkipsComputeAndKeepsOutput() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 256, 8, SchedulingPolicy.FCFS, true);
        int[] p = prompt(41, 7);
        TestSeq first = h.add(1, p, 5);
        h.runToCompletion(20);
        TestSeq second = h.add(2, p, 5);
        h.step();
        assertThat(second.numCachedPromptTokens()).isEqualTo(40);
        assertThat(h.plans.getLast()).containsExactly("2:1");
        h.runToCompletion(20);
        assertThat(second.generated()).containsExactly(first.generated());
        assertThat(h.kv.prefixHitTokens()).isEqualTo(40);
    }

    /** {@code prefix} followed by {@code suffixLength} tokens of their own. */
    private static int[] withPrefix(int[] prefix, int suffixLength, int seed) {
        int[] p = prompt(prefix.length + suffixLength, seed);
        System.arraycopy(prefix, 0, p, 0, prefix.length);
        return p;
    }

    @Test
    void requestsArrivingTogetherWithANewPrefixComputeItOnce() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 256, 8, SchedulingPolicy.FCFS, true);
        int[] prefix = prompt(40, 30);
        int[] pa = withPrefix(prefix, 4, 31);
        int[] pb = withPrefix(prefix, 4, 32);
        TestSeq a = h.add(1, pa, 3);
        TestSeq b = h.add(2, pb, 3);
        h.step();
        assertThat(h.plans.get(0)).containsExactly("1:44");
        assertThat(h.scheduler.numPrefixWaits()).isEqualTo(1);
        h.step();
        assertThat(h.plans.get(1)).containsExactly("1:1", "2:4");
        assertThat(b.numCachedPromptTokens()).isEqualTo(40);
        h.runToCompletion(20);
        assertCorrect(a, pa);
        assertCorrect(b, pb);
        assertThat(h.kv.prefixHitTokens()).isEqualTo(40);
        assertThat(h.kv.numComputingBlocks()).isZero();
    }

    @Test
    void aPrefixComputedInChunksIsWaitedForUntilItsLastChunk() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 16, 8, SchedulingPolicy.FCFS, true);
        int[] prefix = prompt(40, 33);
        int[] pa = withPrefix(prefix, 4, 34);
        int[] pb = withPrefix(prefix, 4, 35);
        TestSeq a = h.add(1, pa, 2);
        TestSeq b = h.add(2, pb, 2);
        h.runToCompletion(30);
        // a takes the whole budget for two steps; in the third its last 12 tokens leave room, but
        // b's next two blocks are among them, so b waits one more step and then hits all 40.
        assertThat(h.plans.subList(0, 4)).containsExactly(List.of("1:16"), List.of("1:16"), List.of("1:12"),
                List.of("1:1", "2:4"));
        assertThat(b.numCachedPromptTokens()).isEqualTo(40);
        assertThat(h.scheduler.numPrefixWaits()).isEqualTo(1);
        int prefillTokens = h.plans.stream().flatMap(List::stream)
                .mapToInt(e -> Integer.parseInt(e.substring(e.indexOf(':') + 1))).sum() - 1 - 1;
        assertThat(prefillTokens).as("prompt tokens computed").isEqualTo(44 + 4);
        assertCorrect(a, pa);
        assertCorrect(b, pb);
    }

    @Test
    void aShortCommonBeginningIsNotWaitedFor() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 256, 8, SchedulingPolicy.FCFS, true);
        int[] prefix = prompt(8, 36);
        h.add(1, withPrefix(prefix, 30, 37), 2);
        h.add(2, withPrefix(prefix, 30, 38), 2);
        h.step();
        assertThat(h.plans.get(0)).containsExactly("1:38", "2:38");
        assertThat(h.scheduler.numPrefixWaits()).isZero();
    }

    @Test
    void differentSaltsDoNotWaitForEachOther() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 256, 8, SchedulingPolicy.FCFS, true);
        int[] p = prompt(44, 39);
        h.add(1, p, 2, 0, "tenant-a");
        h.add(2, p, 2, 0, "tenant-b");
        h.step();
        assertThat(h.plans.get(0)).containsExactly("1:44", "2:44");
    }

    @Test
    void aWaitingRequestDoesNotHoldBackTheOnesBehindIt() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 256, 8, SchedulingPolicy.FCFS, true);
        int[] prefix = prompt(40, 40);
        h.add(1, withPrefix(prefix, 4, 41), 2);
        h.add(2, withPrefix(prefix, 4, 42), 2);
        h.add(3, prompt(12, 43), 2);
        h.step();
        assertThat(h.plans.get(0)).containsExactly("1:44", "3:12");
        h.step();
        assertThat(h.plans.get(1)).containsExactly("1:1", "3:1", "2:4");
    }

    @Test
    void aStepPassesOverAtMostMaxRunningRequests() {
        SchedulerHarness h = new SchedulerHarness(64, 4, 256, 2, SchedulingPolicy.FCFS, true);
        int[] prefix = prompt(40, 47);
        List<int[]> prompts = new ArrayList<>();
        List<TestSeq> seqs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            prompts.add(withPrefix(prefix, 4, 48 + i));
            seqs.add(h.add(i, prompts.get(i), 2));
        }
        h.step();
        assertThat(h.plans.get(0)).containsExactly("0:44");
        assertThat(h.scheduler.numPrefixWaits()).as("requests 1 and 2; 3 and 4 not looked at").isEqualTo(2);
        h.runToCompletion(30);
        for (int i = 0; i < 5; i++) {
            assertCorrect(seqs.get(i), prompts.get(i));
        }
        assertThat(h.kv.prefixHitTokens()).isEqualTo(4 * 40);
    }

    @Test
    void aComputingRequestThatStopsWithdrawsWhatItAnnounced() {
        // a is cancelled with 6 announced blocks uncomputed; left behind, they would keep b waiting for ever.
        SchedulerHarness h = new SchedulerHarness(64, 4, 16, 8, SchedulingPolicy.FCFS, true);
        int[] prefix = prompt(40, 44);
        TestSeq a = h.add(1, withPrefix(prefix, 4, 45), 2);
        int[] pb = withPrefix(prefix, 4, 46);
        TestSeq b = h.add(2, pb, 2);
        h.step();
        assertThat(h.plans.get(0)).containsExactly("1:16");
        h.scheduler.finish(a);
        assertThat(h.kv.numComputingBlocks()).isZero();
        h.step();
        assertThat(h.plans.get(1)).containsExactly("2:16");
        assertThat(b.numCachedPromptTokens()).isEqualTo(16);
        h.runToCompletion(20);
        assertCorrect(b, pb);
    }

    @Test
    void requestThatCanNeverFitIsRefusedWithSizes() {
        SchedulerHarness h = new SchedulerHarness(4, 4, 64, 8, SchedulingPolicy.FCFS, true);
        assertThatThrownBy(() -> h.add(1, prompt(10, 1), 8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("17 tokens")
                .hasMessageContaining("5 blocks of 4")
                .hasMessageContaining("4 blocks (16 tokens)");
        h.add(2, prompt(10, 1), 7);
        h.runToCompletion(20);
        assertThat(h.finished).hasSize(1);
    }

    @Test
    void finishingAWaitingOrRunningSequenceFreesItsBlocks() {
        SchedulerHarness h = new SchedulerHarness(16, 4, 8, 8, SchedulingPolicy.FCFS, false);
        TestSeq a = h.add(1, prompt(20, 1), 5);
        TestSeq b = h.add(2, prompt(5, 2), 5);
        h.step();
        assertThat(h.kv.numUsedBlocks()).isEqualTo(2);
        h.scheduler.finish(a);
        h.scheduler.finish(b);
        h.scheduler.finish(a);
        assertThat(h.kv.numUsedBlocks()).isZero();
        assertThat(h.scheduler.hasWork()).isFalse();
        assertThat(h.step()).isFalse();
    }
}
