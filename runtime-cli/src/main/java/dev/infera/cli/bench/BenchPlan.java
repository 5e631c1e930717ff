package dev.infera.cli.bench;

import dev.infera.api.SamplingParams;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything one {@code infera bench} invocation does, resolved: the model file, the workload, how it
 * is offered, the engine options, and the constants the report needs (weight bytes per step and the
 * memory bandwidth).
 *
 * @param modelDescription  one line about the model (name, architecture, size)
 * @param numPromptsGiven   whether {@code --num-prompts} was given; a concurrency sweep otherwise runs
 *                          {@code max(8, 2 x concurrency)} prompts per level
 * @param sweep             the sweep, or null for a single run
 * @param warmupRequests    short requests run through each new engine before measuring (JIT warm-up),
 *                          or {@link #AUTO_WARMUP} for as many as each run keeps in flight
 * @param bandwidthGbs      memory bandwidth in GB/s, NaN when unknown
 * @param bandwidthSource   where the bandwidth came from ({@code --bandwidth-gbs}, measured, ...)
 */
public record BenchPlan(Path model, String modelDescription, WorkloadSpec workload, boolean numPromptsGiven,
        LoadMode mode, Sweep sweep, EngineSettings engine, SamplingParams sampling, Slo slo, int warmupRequests,
        long weightBytesPerStep, double bandwidthGbs, String bandwidthSource) {

    public BenchPlan {
        if (warmupRequests < AUTO_WARMUP) {
            throw new IllegalArgumentException("warm-up requests must be at least 0 (or AUTO_WARMUP), got " + warmupRequests);
        }
    }

    /** {@code warmupRequests} meaning "as many as the run keeps in flight" (see {@link #warmupRequestsFor}). */
    public static final int AUTO_WARMUP = -1;
    /** The fewest warm-up requests {@link #AUTO_WARMUP} runs. */
    public static final int MIN_AUTO_WARMUP = 4;
    /** The most warm-up requests {@link #AUTO_WARMUP} runs (an open-loop run may keep every prompt in flight). */
    public static final int MAX_AUTO_WARMUP = 64;

    /**
     * Warm-up requests before a run that keeps up to {@code concurrency} requests in flight: the
     * number given, or with {@link #AUTO_WARMUP} that concurrency, clamped to
     * [{@link #MIN_AUTO_WARMUP}, {@link #MAX_AUTO_WARMUP}].
     */
    public int warmupRequestsFor(int concurrency) {
        if (warmupRequests != AUTO_WARMUP) {
            return warmupRequests;
        }
        return Math.max(MIN_AUTO_WARMUP, Math.min(MAX_AUTO_WARMUP, concurrency));
    }

    /** The workload of one sweep level (or of the single run when {@code sweep} is null). */
    public WorkloadSpec workloadAt(double level) {
        if (sweep == null || numPromptsGiven || !sweep.parameter().equals(Sweep.CONCURRENCY)) {
            return workload;
        }
        return workload.withNumPrompts(Math.max(8, 2 * (int) level));
    }

    /** The full configuration, for JSON and the HTML report. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.toString());
        m.put("model_description", modelDescription);
        m.put("workload", workload.toJson());
        m.put("num_prompts_given", numPromptsGiven);
        m.put("mode", mode.toJson());
        m.put("sweep", sweep == null ? null : sweep.toString());
        m.put("engine", engine.toJson());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("temperature", sampling.temperature());
        s.put("ignore_eos", sampling.ignoreEos());
        s.put("seed", sampling.seed().isPresent() ? sampling.seed().getAsLong() : null);
        m.put("sampling", s);
        m.put("slo", slo.isSet() ? slo.toJson() : null);
        m.put("warmup_requests", warmupRequests == AUTO_WARMUP ? "auto" : warmupRequests);
        m.put("weight_bytes_per_step", weightBytesPerStep);
        m.put("bandwidth_gbs", LatencyStats.finiteOrNull(bandwidthGbs));
        m.put("bandwidth_source", bandwidthSource);
        Map<String, Object> host = new LinkedHashMap<>();
        host.put("available_processors", Runtime.getRuntime().availableProcessors());
        host.put("java_version", Runtime.version().toString());
        host.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("host", host);
        return m;
    }
}
