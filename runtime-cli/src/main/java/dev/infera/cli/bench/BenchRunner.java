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
        long warmSeed = spec.seed() + WARMUP_SEED_OFFSET;
        List<Workload.Request> warmUp = warmups == 0 ? List.of()
                : warmUpRequests(warmups, Math.min(spec.maxPromptTokens(), WARMUP_MAX_INPUT_TOKENS), warmSeed, tokenPool);
        int perSequence = spec.maxPromptTokens() + spec.maxOutputTokens();
        for (Workload.Request r : warmUp) {
            perSequence = Math.max(perSequence, r.promptTokens().length + r.outputTokens());
        }
        int kvTokens = plan.engine().kvCacheTokensFor(Math.max(concurrent, warmups), perSequence, spec.numPrefixes(),
                spec.prefixLen());
        try (InferenceEngine engine = plan.engine().start(plan.model(), kvTokens, spec.numPrompts() + warmups)) {
            engineStarted.accept(engine.stats());
            LoadDriver driver = new LoadDriver(engine, plan.sampling());
            if (!warmUp.isEmpty()) {
                driver.run(warmUp, LoadMode.OFFLINE, warmSeed, null, "warm-up");
            }
            LoadDriver.Measurement m = driver.run(requests, mode, spec.seed(), progress, label);
            return RunMetrics.compute(label, mode, m, plan.slo(), plan.weightBytesPerStep(), plan.bandwidthGbs());
        }
    }

    /**
     * {@code count} warm-up requests: request i asks for {@link #WARMUP_OUTPUT_TOKENS} + i output
     * tokens; the first has a prompt of {@code promptTokens} tokens, the others of at most
     * {@link #WARMUP_SHORT_INPUT_TOKENS}.
     */
    static List<Workload.Request> warmUpRequests(int count, int promptTokens, long seed, int[] tokenPool) {
        WorkloadSpec warm = new WorkloadSpec(count, promptTokens, WARMUP_OUTPUT_TOKENS, 0, 0, 1, seed);
        List<Workload.Request> requests = new ArrayList<>();
        for (Workload.Request r : Workload.generate(warm, tokenPool)) {
            int[] prompt = r.index() == 0 ? r.promptTokens()
                    : Arrays.copyOf(r.promptTokens(), Math.min(r.promptTokens().length, WARMUP_SHORT_INPUT_TOKENS));
            requests.add(new Workload.Request(r.index(), prompt, WARMUP_OUTPUT_TOKENS + r.index(), r.prefixGroup()));
        }
        return requests;
    }
}
