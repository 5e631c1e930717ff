package dev.infera.core.synth;

/**
 * A fast, seeded source of standard normal floats for synthetic weights: a 128-layer ziggurat
 * (Marsaglia and Tsang's method) over a SplitMix64 stream.
 *
 * <p>Why not {@code Random.nextGaussian}: it is several times slower (polar method, atomic seed
 * updates), and a billion-parameter model needs a billion samples. Why not the JDK's other generators:
 * their Gaussian algorithm is not part of their specification, while a synthetic model must be the same
 * bytes for the same seed on every JDK. Everything here is integer arithmetic plus a few
 * {@link StrictMath} calls, so the stream is fully determined by the seed.
 *
 * <p>Each layer of the ziggurat is accepted in its rectangle's inner part with one 64-bit draw (about
 * 99% of samples); the rest fall back to an exact rejection step or, in the base layer, to the normal
 * tail beyond {@link #R}. Layer index and value come from disjoint bits of the draw, so they are
 * independent. Not thread-safe: use one sampler per thread or per chunk.
 */
public final class GaussianSampler {

    private static final int LAYERS = 128;
    /** Start of the tail, the right edge of the base layer. */
    private static final double R = 3.442619855899;
    /** Area of each layer. */
    private static final double V = 9.91256303526217e-3;
    private static final double M = 0x1.0p31;

    private static final int[] K = new int[LAYERS];
    private static final float[] W = new float[LAYERS];
    private static final float[] F = new float[LAYERS];

    static {
        double dn = R;
        double tn = dn;
        double q = V / StrictMath.exp(-0.5 * dn * dn);
        K[0] = (int) ((dn / q) * M);
        K[1] = 0;
        W[0] = (float) (q / M);
        W[LAYERS - 1] = (float) (dn / M);
        F[0] = 1f;
        F[LAYERS - 1] = (float) StrictMath.exp(-0.5 * dn * dn);
        for (int i = LAYERS - 2; i >= 1; i--) {
            dn = StrictMath.sqrt(-2 * StrictMath.log(V / dn + StrictMath.exp(-0.5 * dn * dn)));
            K[i + 1] = (int) ((dn / tn) * M);
            tn = dn;
            F[i] = (float) StrictMath.exp(-0.5 * dn * dn);
            W[i] = (float) (dn / M);
        }
    }

    private long state;

    public GaussianSampler(long seed) {
        this.state = seed;
    }

    /** SplitMix64: a full-period 64-bit generator that passes BigCrush. */
    private long nextLong() {
        long z = (state += 0x9e3779b97f4a7c15L);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Uniform in (0, 1]. */
    private double nextUniform() {
        return ((nextLong() >>> 11) + 1) * 0x1.0p-53;
    }

    /** One standard normal sample. */
    public float next() {
        long bits = nextLong();
        int hz = (int) (bits >> 32);
        int iz = (int) bits & (LAYERS - 1);
        if (Math.abs(hz) < K[iz]) {
            return hz * W[iz];
        }
        return slow(hz, iz);
    }

    private float slow(int hz, int iz) {
        while (true) {
            if (iz == 0) {
                double x;
                double y;
                do {
                    x = -StrictMath.log(nextUniform()) / R;
                    y = -StrictMath.log(nextUniform());
                } while (y + y < x * x);
                return (float) (hz > 0 ? R + x : -R - x);
            }
            double x = hz * (double) W[iz];
            if (F[iz] + nextUniform() * (F[iz - 1] - F[iz]) < StrictMath.exp(-0.5 * x * x)) {
                return (float) x;
            }
            long bits = nextLong();
            hz = (int) (bits >> 32);
            iz = (int) bits & (LAYERS - 1);
            if (Math.abs(hz) < K[iz]) {
                return hz * W[iz];
            }
        }
    }

    /** Fills {@code dst[offset ... offset + count)} with samples of N(mean, std). */
    public void fill(float[] dst, int offset, int count, float mean, float std) {
        for (int i = offset; i < offset + count; i++) {
            dst[i] = mean + std * next();
        }
    }

    /**
     * A well-mixed seed for one independent stream, from a base seed and two stream coordinates (for
     * example a tensor's name hash and a chunk index).
     */
    public static long streamSeed(long seed, long a, long b) {
        return mix(mix(mix(seed) ^ a) + b);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
