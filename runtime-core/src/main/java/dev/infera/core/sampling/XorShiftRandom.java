package dev.infera.core.sampling;

/**
 * The sampler's random source: xorshift64* with 64 bits of state, giving 32-bit outputs and floats in
 * [0, 1) with 24 random bits. It is the generator of the llama2.c reference sampler, so that a
 * request with seed S draws the same coins as that program run with {@code -s S}, which lets the
 * published reference outputs check our sampling end to end.
 *
 * <p>The state is the seed itself, read as an unsigned 64-bit number. Seed 0 would leave xorshift
 * stuck at 0 forever, so it is replaced by a fixed non-zero constant; every other seed is used as is.
 */
final class XorShiftRandom {

    /** Used in place of a zero seed. */
    static final long ZERO_SEED_REPLACEMENT = 0x9E3779B97F4A7C15L;

    private static final long MULTIPLIER = 0x2545F4914F6CDD1DL;

    private long state;

    XorShiftRandom(long seed) {
        this.state = seed == 0 ? ZERO_SEED_REPLACEMENT : seed;
    }

    /** The next 32 random bits (to be read as unsigned). */
    int nextU32() {
        long s = state;
        s ^= s >>> 12;
        s ^= s << 25;
        s ^= s >>> 27;
        state = s;
        return (int) ((s * MULTIPLIER) >>> 32);
    }

    /** A float in [0, 1): the top 24 of the next 32 bits divided by 2^24. */
    float nextFloat() {
        return (nextU32() >>> 8) / 16777216.0f;
    }
}
