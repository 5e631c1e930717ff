package dev.infera.cli.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How requests are offered to the engine: all at once (offline throughput), as a Poisson process at
 * {@code requestRate} per second, and/or with at most {@code maxConcurrency} in flight (a new one is
 * submitted when one finishes). Both limits may apply together.
 *
 * @param requestRate    requests per second, or infinity for all at once
 * @param maxConcurrency most requests in flight, or 0 for no limit
 */
public record LoadMode(double requestRate, int maxConcurrency) {

    public static final LoadMode OFFLINE = new LoadMode(Double.POSITIVE_INFINITY, 0);

    public LoadMode {
        if (!(requestRate > 0)) {
            throw new IllegalArgumentException("--request-rate must be a positive number of requests per second "
                    + "(or inf), got " + requestRate);
        }
        if (maxConcurrency < 0) {
            throw new IllegalArgumentException("--max-concurrency must be at least 1, got " + maxConcurrency);
        }
    }

    public boolean isOffline() {
        return Double.isInfinite(requestRate) && maxConcurrency == 0;
    }

    public LoadMode withMaxConcurrency(int concurrency) {
        return new LoadMode(requestRate, concurrency);
    }

    public LoadMode withRequestRate(double rate) {
        return new LoadMode(rate, maxConcurrency);
    }

    /** A short description such as {@code offline (all at once)} or {@code rate 4.0/s, concurrency 16}. */
    public String describe() {
        if (isOffline()) {
            return "offline (all requests at once)";
        }
        StringBuilder sb = new StringBuilder();
        if (!Double.isInfinite(requestRate)) {
            sb.append(String.format(Locale.ROOT, "Poisson arrivals at %.2f req/s", requestRate));
        }
        if (maxConcurrency > 0) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append("max concurrency ").append(maxConcurrency);
        }
        return sb.toString();
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("request_rate", Double.isInfinite(requestRate) ? "inf" : requestRate);
        m.put("max_concurrency", maxConcurrency == 0 ? null : maxConcurrency);
        m.put("description", describe());
        return m;
    }
}
