package dev.infera.cli.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Summary statistics of one latency metric over a run, in milliseconds: count, mean, standard
 * deviation, min, max and the 50th, 90th, 95th and 99th percentiles.
 *
 * <p>Percentiles interpolate linearly between the two nearest ranks: for {@code n} sorted values the
 * p-th percentile sits at fractional index {@code p / 100 * (n - 1)}. This is the common definition
 * (the default of numpy and of the serving benchmarks people compare against), so p50 of an even
 * count is the mean of the two middle values. With no samples every statistic is NaN, which the
 * report prints as "-" and JSON writes as null.
 */
public record LatencyStats(int count, double mean, double std, double min, double max, double p50, double p90,
        double p95, double p99) {

    /** The statistics of {@code valuesMs}, which is not modified. */
    public static LatencyStats of(double[] valuesMs) {
        int n = valuesMs.length;
        if (n == 0) {
            return new LatencyStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN);
        }
        double[] sorted = valuesMs.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (double v : sorted) {
            sum += v;
        }
        double mean = sum / n;
        double squares = 0;
        for (double v : sorted) {
            squares += (v - mean) * (v - mean);
        }
        return new LatencyStats(n, mean, Math.sqrt(squares / n), sorted[0], sorted[n - 1], percentile(sorted, 50),
                percentile(sorted, 90), percentile(sorted, 95), percentile(sorted, 99));
    }

    /**
     * The {@code p}-th percentile (0..100) of ascending {@code sorted} values, interpolating linearly
     * between neighbouring ranks.
     *
     * @throws IllegalArgumentException when {@code sorted} is empty or {@code p} is outside 0..100
     */
    public static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("percentile of no values");
        }
        if (!(p >= 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile must be in [0, 100], got " + p);
        }
        double rank = p / 100 * (sorted.length - 1);
        int below = (int) Math.floor(rank);
        int above = Math.min(below + 1, sorted.length - 1);
        double fraction = rank - below;
        return sorted[below] + (sorted[above] - sorted[below]) * fraction;
    }

    /** The value of a percentile this record holds (50, 90, 95 or 99). */
    public double percentile(int p) {
        return switch (p) {
            case 50 -> p50;
            case 90 -> p90;
            case 95 -> p95;
            case 99 -> p99;
            default -> throw new IllegalArgumentException("only p50, p90, p95 and p99 are kept, not p" + p);
        };
    }

    /** Field name to value, NaN as null, for JSON. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", count);
        m.put("mean", finiteOrNull(mean));
        m.put("std", finiteOrNull(std));
        m.put("min", finiteOrNull(min));
        m.put("max", finiteOrNull(max));
        m.put("p50", finiteOrNull(p50));
        m.put("p90", finiteOrNull(p90));
        m.put("p95", finiteOrNull(p95));
        m.put("p99", finiteOrNull(p99));
        return m;
    }

    static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
