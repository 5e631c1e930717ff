package dev.infera.cli.bench;

import java.util.SplittableRandom;

/**
 * When each request of a serving run is submitted, in seconds from the start. Requests arrive as a
 * Poisson process: the gaps between arrivals are independent and exponentially distributed with mean
 * {@code 1 / rate}, drawn from a seeded generator so a run can be repeated exactly. An infinite rate
 * submits everything at time 0 (offline throughput).
 */
public final class ArrivalSchedule {

    private static final long ARRIVAL_STREAM = 0x94D049BB133111EBL;

    private ArrivalSchedule() {
    }

    /**
     * Arrival offsets in seconds (non-decreasing, the first after one gap) for {@code count}
     * requests at {@code ratePerSecond}.
     *
     * @throws IllegalArgumentException when the rate is not positive
     */
    public static double[] poisson(int count, double ratePerSecond, long seed) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("--request-rate must be a positive number of requests per second "
                    + "(or inf), got " + ratePerSecond);
        }
        double[] at = new double[count];
        if (Double.isInfinite(ratePerSecond)) {
            return at;
        }
        SplittableRandom random = new SplittableRandom(seed ^ ARRIVAL_STREAM);
        double t = 0;
        for (int i = 0; i < count; i++) {
            // 1 - nextDouble() is in (0, 1], so the logarithm is finite.
            t += -Math.log(1 - random.nextDouble()) / ratePerSecond;
            at[i] = t;
        }
        return at;
    }
}
