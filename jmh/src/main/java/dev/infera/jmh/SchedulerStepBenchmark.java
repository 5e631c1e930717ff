package dev.infera.jmh;

import dev.infera.api.SchedulingPolicy;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.engine.kv.KvBlockManager;
import dev.infera.core.engine.sched.Scheduler;
import dev.infera.core.engine.sched.SchedulerConfig;
import dev.infera.core.engine.sched.Sequence;
import dev.infera.core.engine.sched.StepBatchAssembler;
import dev.infera.core.engine.sched.StepPlan;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine's per-step bookkeeping without a model: plan a step for {@code running} decoding
 * sequences (scheduler + KV block manager, prefix cache on), flatten it into a checked
 * {@link StepBatch}, then advance every sequence by one token as a model step would. Sequences finish
 * after 128 generated tokens and are replaced by new ones with 128-token prompts (sharing a 64-token
 * prefix), so steps mix decodes with occasional prefill chunks, block allocation, hashing and freeing,
 * as in steady serving. This is the overhead a real step pays on top of the forward pass.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SchedulerStepBenchmark {

    private static final int PROMPT = 128;
    private static final int MAX_NEW = 128;

    @Param("256")
    public int running;

    private Scheduler scheduler;
    private KvCacheLayout layout;
    private long nextId;
    private int[] sharedPrefix;

    @Setup(Level.Trial)
    public void setUp() {
        int blockSize = 16;
        int numBlocks = running * (PROMPT + MAX_NEW) / blockSize * 2;
        KvBlockManager kv = new KvBlockManager(numBlocks, blockSize, true);
        scheduler = new Scheduler(new SchedulerConfig(2048, running, SchedulingPolicy.FCFS), kv);
        layout = new KvCacheLayout(1, 1, 1, numBlocks, blockSize, 2);
        sharedPrefix = new int[PROMPT / 2];
        for (int i = 0; i < sharedPrefix.length; i++) {
            sharedPrefix[i] = 7 + i;
        }
        for (int i = 0; i < running; i++) {
            Sequence s = newSequence();
            // Stagger lengths so that finishing and replacement spread over the steps.
            for (int t = 0; t < i % MAX_NEW; t++) {
                s.appendToken(100 + t);
            }
            scheduler.add(s);
        }
        while (scheduler.numWaiting() > 0) {
            step();
        }
    }

    private Sequence newSequence() {
        long id = nextId++;
        int[] prompt = new int[PROMPT];
        System.arraycopy(sharedPrefix, 0, prompt, 0, sharedPrefix.length);
        for (int i = sharedPrefix.length; i < PROMPT; i++) {
            prompt[i] = (int) ((id * 31 + i) % 500);
        }
        return new Sequence(id, prompt, MAX_NEW, 0, null);
    }

    /** Scheduler and KV block manager only: plan, advance, sample bookkeeping. */
    @Benchmark
    public StepPlan plan() {
        StepPlan plan = scheduler.schedule();
        advance(plan);
        return plan;
    }

    /** As {@link #plan()}, plus flattening the plan into a validated {@link StepBatch} for the backend. */
    @Benchmark
    public StepBatch planAndBatch() {
        StepPlan plan = scheduler.schedule();
        StepBatch batch = StepBatchAssembler.assemble(plan, layout);
        advance(plan);
        return batch;
    }

    private void step() {
        advance(scheduler.schedule());
    }

    private void advance(StepPlan plan) {
        scheduler.completeStep();
        for (int i = 0; i < plan.size(); i++) {
            if (!plan.samples(i)) {
                continue;
            }
            Sequence s = plan.sequence(i);
            s.appendToken((int) (s.id() + s.numTokens()) % 500);
            if (s.numGeneratedTokens() >= MAX_NEW) {
                scheduler.finish(s);
                scheduler.add(newSequence());
            }
        }
    }
}
