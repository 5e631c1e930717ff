package dev.infera.cli.bench;

import dev.infera.api.EngineStats;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The numbers a benchmark run reports, computed from a {@link LoadDriver.Measurement}.
 *
 * <p>Throughputs divide by the run's duration (first submission to last completion). Token counts
 * are over successful requests. Engine counters (prefix cache, preemptions, steps) are the
 * difference between the engine's stats before and after the run, so warm-up requests do not count.
 * The roofline fraction compares the rate at which the model's weights were read — every step reads
 * each weight matrix once, whatever its batch — with the machine's memory bandwidth: {@code
 * weightBytesPerStep * steps / duration / bandwidth}. It is the share of the memory-bound speed limit
 * of decoding that the run reached.
 *
 * @param goodput          requests per second that met every objective of the SLO, NaN without one
 * @param prefixHitRate    prompt tokens served from the prefix cache / prompt tokens looked up
 * @param prefixWaits      times a request was held back a step because its next prompt blocks were being
 *                         computed by another request ({@link EngineStats#prefixWaits})
 * @param peakKvFraction   the most KV blocks in use at once / all blocks
 * @param decodeSteps      steps in the run that computed no prompt tokens (every request in them decoded)
 * @param decodeThroughput tokens generated in those steps / their time: the aggregate decode speed without
 *                         prefill mixed in (what batched-decode benchmarks report as generation speed);
 *                         NaN when the run had no such step
 * @param rooflineFraction weight read rate / bandwidth, NaN when the bandwidth is unknown
 * @param requests         every request's own measurements, in workload order
 */
public record RunMetrics(String label, LoadMode mode, int numRequests, int completed, int failed, String firstError,
        double durationSeconds, long inputTokens, long cachedPromptTokens, long outputTokens,
        double requestThroughput, double outputThroughput, double totalThroughput, Slo slo, int goodRequests,
        double goodput, LatencyStats ttft, LatencyStats tpot, LatencyStats itl, LatencyStats e2e,
        long prefixQueryTokens, long prefixHitTokens, double prefixHitRate, long preemptions, long prefixWaits,
        long steps, double meanStepMs, long decodeSteps, double decodeThroughput, int peakKvBlocksUsed,
        int kvBlocksTotal, long kvCacheBytes, double peakKvFraction, long weightBytesPerStep,
        double weightReadGbs, double bandwidthGbs, double rooflineFraction, List<RequestOutcome> requests) {

    public RunMetrics {
        requests = List.copyOf(requests);
    }

    /** Computes the metrics of one run. {@code bandwidthGbs} may be NaN (unknown). */
    public static RunMetrics compute(String label, LoadMode mode, LoadDriver.Measurement m, Slo slo,
            long weightBytesPerStep, double bandwidthGbs) {
        List<RequestOutcome> ok = m.outcomes().stream().filter(RequestOutcome::succeeded).toList();
        String firstError = m.outcomes().stream().filter(o -> !o.succeeded()).map(RequestOutcome::error)
                .findFirst().orElse(null);
        double seconds = m.durationNanos() / 1e9;
        long input = 0;
        long cached = 0;
        long output = 0;
        int good = 0;
        for (RequestOutcome o : ok) {
            input += o.promptTokens();
            cached += o.cachedPromptTokens();
            output += o.outputTokens();
            if (slo.isSet() && slo.isMetBy(o)) {
                good++;
            }
        }
        EngineStats a = m.before();
        EngineStats b = m.after();
        long query = b.prefixCacheQueryTokens() - a.prefixCacheQueryTokens();
        long hits = b.prefixCacheHitTokens() - a.prefixCacheHitTokens();
        long steps = b.steps() - a.steps();
        double weightGbs = steps * (double) weightBytesPerStep / seconds / 1e9;
        int kvTotal = b.kvBlocksTotal();
        long decodeSteps = b.decodeSteps() - a.decodeSteps();
        double decodeSeconds = b.decodeStepSeconds() - a.decodeStepSeconds();
        double decodeRate = decodeSteps == 0 || decodeSeconds <= 0 ? Double.NaN
                : (b.decodeStepTokens() - a.decodeStepTokens()) / decodeSeconds;
        return new RunMetrics(label, mode, m.outcomes().size(), ok.size(), m.outcomes().size() - ok.size(),
                firstError, seconds, input, cached, output, ok.size() / seconds, output / seconds,
                (input + output) / seconds, slo, good, slo.isSet() ? good / seconds : Double.NaN,
                LatencyStats.of(values(ok, RequestOutcome::ttftMs)), LatencyStats.of(values(ok, RequestOutcome::tpotMs)),
                LatencyStats.of(ok.stream().flatMapToDouble(o -> Arrays.stream(o.itlMs())).toArray()),
                LatencyStats.of(values(ok, RequestOutcome::e2eMs)), query, hits,
                query == 0 ? Double.NaN : (double) hits / query, b.preemptions() - a.preemptions(),
                b.prefixWaits() - a.prefixWaits(), steps,
                steps == 0 ? Double.NaN : seconds * 1e3 / steps, decodeSteps, decodeRate, m.peakKvBlocksUsed(), kvTotal,
                b.kvCacheBytes(), kvTotal == 0 ? Double.NaN : (double) m.peakKvBlocksUsed() / kvTotal, weightBytesPerStep, weightGbs,
                bandwidthGbs, bandwidthGbs > 0 ? weightGbs / bandwidthGbs : Double.NaN, m.outcomes());
    }

    private static double[] values(List<RequestOutcome> outcomes, java.util.function.ToDoubleFunction<RequestOutcome> f) {
        return outcomes.stream().mapToDouble(f).filter(v -> !Double.isNaN(v)).toArray();
    }

    /** Every number, NaN as null, for JSON. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", label);
        m.put("mode", mode.toJson());
        m.put("num_requests", numRequests);
        m.put("completed", completed);
        m.put("failed", failed);
        m.put("first_error", firstError);
        m.put("duration_s", durationSeconds);
        m.put("total_input_tokens", inputTokens);
        m.put("cached_prompt_tokens", cachedPromptTokens);
        m.put("total_output_tokens", outputTokens);
        m.put("request_throughput", requestThroughput);
        m.put("output_throughput", outputThroughput);
        m.put("total_token_throughput", totalThroughput);
        m.put("slo", slo.isSet() ? slo.toJson() : null);
        m.put("good_requests", slo.isSet() ? goodRequests : null);
        m.put("goodput", LatencyStats.finiteOrNull(goodput));
        m.put("ttft_ms", ttft.toJson());
        m.put("tpot_ms", tpot.toJson());
        m.put("itl_ms", itl.toJson());
        m.put("e2e_ms", e2e.toJson());
        m.put("prefix_cache_query_tokens", prefixQueryTokens);
        m.put("prefix_cache_hit_tokens", prefixHitTokens);
        m.put("prefix_cache_hit_rate", LatencyStats.finiteOrNull(prefixHitRate));
        m.put("preemptions", preemptions);
        m.put("prefix_waits", prefixWaits);
        m.put("steps", steps);
        m.put("mean_step_ms", LatencyStats.finiteOrNull(meanStepMs));
        m.put("decode_steps", decodeSteps);
        m.put("decode_throughput", LatencyStats.finiteOrNull(decodeThroughput));
        m.put("peak_kv_blocks_used", peakKvBlocksUsed);
        m.put("kv_blocks_total", kvBlocksTotal);
        m.put("kv_cache_bytes", kvCacheBytes);
        m.put("peak_kv_usage", LatencyStats.finiteOrNull(peakKvFraction));
        m.put("weight_bytes_per_step", weightBytesPerStep);
        m.put("weight_read_gbs", LatencyStats.finiteOrNull(weightReadGbs));
        m.put("bandwidth_gbs", LatencyStats.finiteOrNull(bandwidthGbs));
        m.put("roofline_fraction", LatencyStats.finiteOrNull(rooflineFraction));
        m.put("requests", requests.stream().map(RequestOutcome::toJson).toList());
        return m;
    }
}
