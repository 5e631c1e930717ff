package dev.infera.core.engine.sched;

import dev.infera.api.SchedulingPolicy;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepResult;
import dev.infera.core.engine.kv.KvBlockManager;
import dev.infera.core.testing.FakeBackend;
import java.util.ArrayList;
import java.util.List;

/** Drives a scheduler against a {@link FakeBackend} the way the engine does, minus threads and text. */
final class SchedulerHarness {

    static final int VOCAB = 97;

    static final class TestSeq extends Sequence {
        final int maxNew;

        TestSeq(long id, int[] prompt, int maxNew, int priority, String salt) {
            super(id, prompt, maxNew, priority, salt);
            this.maxNew = maxNew;
        }

        int[] generated() {
            return java.util.Arrays.copyOfRange(tokens(), numPromptTokens(), numTokens());
        }
    }

    final KvBlockManager kv;
    final Scheduler scheduler;
    final FakeBackend backend = new FakeBackend(VOCAB);
    final KvCacheLayout layout;
    final List<TestSeq> finished = new ArrayList<>();
    /** Per step: "id:numNewTokens" entries in plan order. */
    final List<List<String>> plans = new ArrayList<>();
    /** Ids of preempted sequences, in preemption order. */
    final List<Long> preempted = new ArrayList<>();

    SchedulerHarness(int numBlocks, int blockSize, int maxBatchTokens, int maxRunning, SchedulingPolicy policy,
            boolean prefixCaching) {
        kv = new KvBlockManager(numBlocks, blockSize, prefixCaching);
        scheduler = new Scheduler(new SchedulerConfig(maxBatchTokens, maxRunning, policy), kv);
        layout = backend.allocateKvCache(numBlocks, blockSize);
    }

    TestSeq add(long id, int[] prompt, int maxNew) {
        return add(id, prompt, maxNew, 0, null);
    }

    TestSeq add(long id, int[] prompt, int maxNew, int priority, String salt) {
        TestSeq s = new TestSeq(id, prompt, maxNew, priority, salt);
        scheduler.add(s);
        return s;
    }

    /** Runs one step; returns false when there was nothing to do. */
    boolean step() {
        StepPlan plan = scheduler.schedule();
        if (plan.isEmpty()) {
            return false;
        }
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            entries.add(plan.sequence(i).id() + ":" + plan.numNewTokens(i));
        }
        plans.add(entries);
        plan.preempted().forEach(s -> preempted.add(s.id()));
        StepResult result = backend.execute(StepBatchAssembler.assemble(plan, layout));
        scheduler.completeStep();
        int row = 0;
        for (int i = 0; i < plan.size(); i++) {
            if (!plan.samples(i)) {
                continue;
            }
            TestSeq s = (TestSeq) plan.sequence(i);
            s.appendToken(result.argmax(row++));
            if (s.numGeneratedTokens() >= s.maxNew) {
                scheduler.finish(s);
                finished.add(s);
            }
        }
        return true;
    }

    int runToCompletion(int maxSteps) {
        int steps = 0;
        while (step()) {
            if (++steps > maxSteps) {
                throw new AssertionError("no completion within " + maxSteps + " steps");
            }
        }
        return steps;
    }
}
