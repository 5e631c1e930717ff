package dev.infera.cli.bench;

import dev.infera.api.EngineStats;
import dev.infera.api.InferenceEngine;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs a {@link BenchPlan}: once, or once per sweep level. Each run gets a fresh engine (so the prefix
 * cache and KV state of one level cannot help the next), short warm-up requests so the JIT has
 * compiled the hot paths before the clock starts, then the measured workload.
 *
 * <p>The warm-up requests are all offered at once and ask for 16, 17, 18, ... output tokens, so
 * their decode steps run every batch size from the number of requests down to one; the first has a
 * prompt as long as the workload's longest, up to 512 tokens (a prefill-sized batch even with
 * {@code --warmup 1}: a 128-token warm-up left the 512-row tiles of a Q4_0 model to compile inside
 * a measured prefill of 512 tokens, 455-670 tok/s against 900 warmed), the others up to 32 (their
 * prefill adds up). By default
 * there are as many as the run keeps in flight ({@link BenchPlan#warmupRequestsFor}): the CPU
 * backend picks its matrix kernels by batch size, and a kernel first used after the clock starts is
 * interpreted, then compiled, then sometimes recompiled when a branch it has not seen turns up, all
 * inside the measurement. (Four warm-up requests, the old default, left 32-stream runs of a Q4_0
 * model 10-25% slower than runs warmed at 32.)
 */
public final class BenchRunner {

    /** Warm-up requests are short: the first asks for this many output tokens, each next one for one more. */
    static final int WARMUP_OUTPUT_TOKENS = 16;
    /** The first warm-up prompt is at most this long, so even one warm-up request runs a prefill-sized batch. */
    static final int WARMUP_MAX_INPUT_TOKENS = 512;
    /** The other warm-up prompts are at most this long (the prefill of many warm-up requests adds up). */
    static final int WARMUP_SHORT_INPUT_TOKENS = 32;
    private static final long WARMUP_SEED_OFFSET = 0x5DEECE66DL;

    private final BenchPlan plan;
    private final int[] tokenPool;

    /** @param tokenPool the token ids prompts are drawn from (see {@link Workload#tokenPool}) */
    public BenchRunner(BenchPlan plan, int[] tokenPool) {
        this.plan = plan;
        this.tokenPool = tokenPool;
    }

    /**
     * Every run's metrics, in sweep order; progress lines go to {@code progress} when not null, and
     * {@code engineStarted} sees each fresh engine's stats (its KV cache size).
     */
    public List<RunMetrics> runAll(PrintStream progress, Consumer<EngineStats> engineStarted) {
        List<RunMetrics> results = new ArrayList<>();
        if (plan.sweep() == null) {
            results.add(runOnce("", plan.mode(), plan.workload(), progress, engineStarted));
        } else {
            for (double level : plan.sweep().values()) {
                results.add(runOnce(plan.sweep().label(level), plan.sweep().modeAt(plan.mode(), level),
                        plan.workloadAt(level), progress, engineStarted));
            }
        }
        return results;
    }

    private RunMetrics runOnce(String label, LoadMode mode, WorkloadSpec spec, PrintStream progress,
            Consumer<EngineStats> engineStarted) {
        List<Workload.Request> requests = Workload.generate(spec, tokenPool);
        int concurrent = mode.maxConcurrency() > 0 ? Math.min(mode.maxConcurrency(), spec.numPrompts())
                : spec.numPrompts();
        int warmups = plan.warmupRequestsFor(concurrent);
        WorkloadSpec warm = new WorkloadSpec(Math.max(1, warmups), Math.min(spec.maxPromptTokens(), WARMUP_MAX_INPUT_TOKENS),
                WARMUP_OUTPUT_TOKENS, 0, 0, 1, spec.seed() + WARMUP_SEED_OFFSET);
        // The longest warm-up sequences: the first (whole prompt, 16 tokens out) and the last (short
        // prompt, 16 + warmups - 1 out).
        int warmPerSequence = warmups == 0 ? 0 : Math.max(warm.maxPromptTokens() + WARMUP_OUTPUT_TOKENS,
                Math.min(warm.maxPromptTokens(), WARMUP_SHORT_INPUT_TOKENS) + WARMUP_OUTPUT_TOKENS + warmups - 1);
        int perSequence = Math.max(spec.maxPromptTokens() + spec.maxOutputTokens(), warmPerSequence);
        int kvTokens = plan.engine().kvCacheTokensFor(Math.max(concurrent, warmups), perSequence, spec.numPrefixes(),
                spec.prefixLen());
        try (InferenceEngine engine = plan.engine().start(plan.model(), kvTokens, spec.numPrompts() + warmups)) {
            engineStarted.accept(engine.stats());
            LoadDriver driver = new LoadDriver(engine, plan.sampling());
            if (warmups > 0) {
                driver.run(warmUpRequests(warm, tokenPool), LoadMode.OFFLINE, warm.seed(), null, "warm-up");
            }
            LoadDriver.Measurement m = driver.run(requests, mode, spec.seed(), progress, label);
            return RunMetrics.compute(label, mode, m, plan.slo(), plan.weightBytesPerStep(), plan.bandwidthGbs());
        }
    }

    /**
     * The warm-up requests of {@code warm}: request i asks for {@link #WARMUP_OUTPUT_TOKENS} + i output
     * tokens; the first keeps its whole prompt, the others keep at most {@link #WARMUP_SHORT_INPUT_TOKENS}
     * tokens of theirs.
     */
    static List<Workload.Request> warmUpRequests(WorkloadSpec warm, int[] tokenPool) {
        List<Workload.Request> requests = new ArrayList<>();
        for (Workload.Request r : Workload.generate(warm, tokenPool)) {
            int[] prompt = r.index() == 0 ? r.promptTokens()
                    : Arrays.copyOf(r.promptTokens(), Math.min(r.promptTokens().length, WARMUP_SHORT_INPUT_TOKENS));
            requests.add(new Workload.Request(r.index(), prompt, WARMUP_OUTPUT_TOKENS + r.index(), r.prefixGroup()));
        }
        return requests;
    }
}
