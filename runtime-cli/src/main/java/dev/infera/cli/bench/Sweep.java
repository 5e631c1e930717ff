package dev.infera.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A sweep over one load parameter: {@code concurrency=1,4,16} runs the workload once per maximum
 * concurrency, {@code rate=1,2,4} once per Poisson request rate ({@code inf} allowed).
 *
 * @param parameter {@code concurrency} or {@code rate}
 * @param values    the levels, in the order given
 */
public record Sweep(String parameter, List<Double> values) {

    public static final String CONCURRENCY = "concurrency";
    public static final String RATE = "rate";

    public Sweep {
        values = List.copyOf(values);
    }

    /**
     * Parses {@code NAME=V1,V2,...}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Sweep parse(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--sweep must be concurrency=N,N,... or rate=R,R,..., got '" + text + "'");
        }
        String name = text.substring(0, eq).trim().toLowerCase(Locale.ROOT);
        if (name.equals("max-concurrency")) {
            name = CONCURRENCY;
        } else if (name.equals("request-rate")) {
            name = RATE;
        }
        if (!name.equals(CONCURRENCY) && !name.equals(RATE)) {
            throw new IllegalArgumentException("--sweep: unknown parameter '" + name + "' (known: concurrency, rate)");
        }
        List<Double> levels = new ArrayList<>();
        for (String item : text.substring(eq + 1).split(",", -1)) {
            String v = item.trim();
            double level;
            if (name.equals(RATE) && v.equalsIgnoreCase("inf")) {
                level = Double.POSITIVE_INFINITY;
            } else {
                try {
                    level = name.equals(CONCURRENCY) ? Integer.parseInt(v) : Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--sweep " + name + ": '" + v + "' is not "
                            + (name.equals(CONCURRENCY) ? "a whole number" : "a number or inf"));
                }
            }
            if (!(level > 0)) {
                throw new IllegalArgumentException("--sweep " + name + " levels must be positive, got " + v);
            }
            levels.add(level);
        }
        return new Sweep(name, levels);
    }

    /** The load mode of one level, starting from the mode the other options give. */
    public LoadMode modeAt(LoadMode base, double level) {
        return parameter.equals(CONCURRENCY) ? base.withMaxConcurrency((int) level) : base.withRequestRate(level);
    }

    /** A level as text: {@code 16} or {@code 2.5} or {@code inf}. */
    public static String format(double level) {
        if (Double.isInfinite(level)) {
            return "inf";
        }
        return level == Math.rint(level) ? Long.toString((long) level) : Double.toString(level);
    }

    /** The label of one level, e.g. {@code concurrency=16}. */
    public String label(double level) {
        return parameter + "=" + format(level);
    }

    @Override
    public String toString() {
        return parameter + "=" + String.join(",", values.stream().map(Sweep::format).toList());
    }
}
