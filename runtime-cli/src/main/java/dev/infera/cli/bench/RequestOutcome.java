package dev.infera.cli.bench;

import dev.infera.api.GenerationResult;
import dev.infera.api.GenerationTimings;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one benchmark request measured, in milliseconds from the moment it was submitted (the
 * engine's own timings). A failed request keeps its error and NaN timings.
 *
 * @param index              the request's position in the workload
 * @param promptTokens       prompt length
 * @param cachedPromptTokens prompt tokens served from the prefix cache
 * @param outputTokens       tokens generated
 * @param queueMs            submission to the first step that computed any of its tokens
 * @param ttftMs             time to first token
 * @param tpotMs             mean time per output token after the first (NaN with fewer than two)
 * @param itlMs              every gap between consecutive output tokens
 * @param e2eMs              submission to completion
 * @param error              why it failed, or null
 */
public record RequestOutcome(int index, int promptTokens, int cachedPromptTokens, int outputTokens, double queueMs,
        double ttftMs, double tpotMs, double[] itlMs, double e2eMs, String error) {

    /** The outcome of a finished request. */
    public static RequestOutcome of(int index, GenerationResult r) {
        GenerationTimings t = r.timings();
        List<Duration> gaps = t.interTokenGaps();
        double[] itl = new double[gaps.size()];
        for (int i = 0; i < itl.length; i++) {
            itl[i] = millis(gaps.get(i));
        }
        double tpot = r.completionTokens() >= 2 ? millis(t.timePerOutputToken()) : Double.NaN;
        double ttft = r.completionTokens() >= 1 ? millis(t.timeToFirstToken()) : Double.NaN;
        return new RequestOutcome(index, r.promptTokens(), r.cachedPromptTokens(), r.completionTokens(),
                millis(t.queueTime()), ttft, tpot, itl, millis(t.endToEnd()), null);
    }

    /** The outcome of a request that failed. */
    public static RequestOutcome failed(int index, int promptTokens, String error) {
        return new RequestOutcome(index, promptTokens, 0, 0, Double.NaN, Double.NaN, Double.NaN, new double[0],
                Double.NaN, error);
    }

    public boolean succeeded() {
        return error == null;
    }

    /** The outcome for JSON: times in milliseconds rounded to microseconds, unknowns as null. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", index);
        m.put("prompt_tokens", promptTokens);
        m.put("cached_prompt_tokens", cachedPromptTokens);
        m.put("output_tokens", outputTokens);
        m.put("queue_ms", micros(queueMs));
        m.put("ttft_ms", micros(ttftMs));
        m.put("tpot_ms", micros(tpotMs));
        m.put("e2e_ms", micros(e2eMs));
        m.put("itl_ms", Arrays.stream(itlMs).mapToObj(RequestOutcome::micros).toList());
        m.put("error", error);
        return m;
    }

    private static Double micros(double ms) {
        return Double.isFinite(ms) ? Math.round(ms * 1e3) / 1e3 : null;
    }

    static double millis(Duration d) {
        return d.toNanos() / 1e6;
    }
}
