package dev.infera.cli.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Service-level objectives for goodput: a request counts as good when every objective that is set
 * holds for it. Limits are in milliseconds; an unset limit is NaN.
 *
 * @param ttftMs most time to first token
 * @param tpotMs most mean time per output token after the first
 * @param e2eMs  most end-to-end latency
 */
public record Slo(double ttftMs, double tpotMs, double e2eMs) {

    /** No objectives: goodput is not reported. */
    public static final Slo NONE = new Slo(Double.NaN, Double.NaN, Double.NaN);

    /**
     * Parses {@code ttft=MS,tpot=MS,e2e=MS} (any subset, any order, each at most once; limits are
     * positive numbers of milliseconds).
     *
     * @throws IllegalArgumentException naming the part that is wrong
     */
    public static Slo parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("--slo needs at least one of ttft=MS, tpot=MS, e2e=MS");
        }
        double ttft = Double.NaN;
        double tpot = Double.NaN;
        double e2e = Double.NaN;
        for (String part : text.split(",", -1)) {
            String item = part.trim();
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--slo item '" + item + "' is not NAME=MS (e.g. ttft=500,tpot=50)");
            }
            String name = item.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            double ms = parseMillis(name, item.substring(eq + 1).trim());
            switch (name) {
                case "ttft" -> ttft = once(name, ttft, ms);
                case "tpot" -> tpot = once(name, tpot, ms);
                case "e2e", "e2el" -> e2e = once(name, e2e, ms);
                default -> throw new IllegalArgumentException("--slo: unknown objective '" + name
                        + "' (known: ttft, tpot, e2e)");
            }
        }
        return new Slo(ttft, tpot, e2e);
    }

    private static double parseMillis(String name, String value) {
        String v = value.endsWith("ms") ? value.substring(0, value.length() - 2).trim() : value;
        double ms;
        try {
            ms = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--slo " + name + ": '" + value + "' is not a number of milliseconds");
        }
        if (!(ms > 0) || Double.isInfinite(ms)) {
            throw new IllegalArgumentException("--slo " + name + " must be a positive number of milliseconds, got "
                    + value);
        }
        return ms;
    }

    private static double once(String name, double previous, double ms) {
        if (!Double.isNaN(previous)) {
            throw new IllegalArgumentException("--slo names " + name + " twice");
        }
        return ms;
    }

    /** Whether any objective is set. */
    public boolean isSet() {
        return !Double.isNaN(ttftMs) || !Double.isNaN(tpotMs) || !Double.isNaN(e2eMs);
    }

    /** Whether a finished request met every objective that is set. */
    public boolean isMetBy(RequestOutcome r) {
        return r.succeeded() && within(r.ttftMs(), ttftMs) && within(r.tpotMs(), tpotMs) && within(r.e2eMs(), e2eMs);
    }

    private static boolean within(double valueMs, double limitMs) {
        return Double.isNaN(limitMs) || valueMs <= limitMs;
    }

    /** The objectives as text, e.g. {@code ttft=500,tpot=50}; empty when none is set. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        append(sb, "ttft", ttftMs);
        append(sb, "tpot", tpotMs);
        append(sb, "e2e", e2eMs);
        return sb.toString();
    }

    private static void append(StringBuilder sb, String name, double ms) {
        if (!Double.isNaN(ms)) {
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(name).append('=').append(ms == Math.rint(ms) ? Long.toString((long) ms) : Double.toString(ms));
        }
    }

    /** The set objectives in milliseconds, for JSON. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ttft_ms", LatencyStats.finiteOrNull(ttftMs));
        m.put("tpot_ms", LatencyStats.finiteOrNull(tpotMs));
        m.put("e2e_ms", LatencyStats.finiteOrNull(e2eMs));
        return m;
    }
}
