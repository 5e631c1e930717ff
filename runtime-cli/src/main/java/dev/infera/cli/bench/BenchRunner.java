package dev.infera.cli.bench;

import dev.infera.api.EngineStats;
import dev.infera.api.InferenceEngine;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs a {@link BenchPlan}: once, or once per sweep level. Each run gets a fresh engine (so the prefix
 * cache and KV state of one level cannot help the next), a few warm-up requests so the JIT has
 * compiled the hot paths before the clock starts, then the measured workload.
 */
public final class BenchRunner {

    /** Warm-up requests are short: this many output tokens each. */
    static final int WARMUP_OUTPUT_TOKENS = 16;
    static final int WARMUP_MAX_INPUT_TOKENS = 128;
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
        int kvTokens = plan.engine().kvCacheTokensFor(Math.max(concurrent, plan.warmupRequests()),
                spec.maxPromptTokens() + spec.maxOutputTokens(), spec.numPrefixes(), spec.prefixLen());
        try (InferenceEngine engine = plan.engine().start(plan.model(), kvTokens,
                spec.numPrompts() + plan.warmupRequests())) {
            engineStarted.accept(engine.stats());
            LoadDriver driver = new LoadDriver(engine, plan.sampling());
            if (plan.warmupRequests() > 0) {
                WorkloadSpec warm = new WorkloadSpec(plan.warmupRequests(),
                        Math.min(spec.maxPromptTokens(), WARMUP_MAX_INPUT_TOKENS), WARMUP_OUTPUT_TOKENS, 0, 0, 1,
                        spec.seed() + WARMUP_SEED_OFFSET);
                driver.run(Workload.generate(warm, tokenPool), LoadMode.OFFLINE, warm.seed(), null, "warm-up");
            }
            LoadDriver.Measurement m = driver.run(requests, mode, spec.seed(), progress, label);
            return RunMetrics.compute(label, mode, m, plan.slo(), plan.weightBytesPerStep(), plan.bandwidthGbs());
        }
    }
}
