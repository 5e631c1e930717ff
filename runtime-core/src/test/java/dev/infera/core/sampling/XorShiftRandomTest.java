package dev.infera.core.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class XorShiftRandomTest {

    // Expected values printed by an independent C implementation of xorshift64* (uint64_t arithmetic).
    @Test
    void matchesUnsignedC64BitArithmetic() {
        assertU32(42L, 1456360119L, 3359763283L, 3393612768L, 4054632243L, 3283045847L);
        assertU32(133742L, 3033531262L, 2674377904L, 2312864567L, 2287415643L, 1408443089L);
        assertU32(-1L, 4180462053L, 2415166680L, 879531507L, 3310800028L, 1814914367L);
    }

    @Test
    void floatsUseTheTop24Bits() {
        XorShiftRandom r = new XorShiftRandom(42);
        assertThat(r.nextFloat()).isEqualTo(0.339085221f);
        assertThat(r.nextFloat()).isEqualTo(0.782255828f);
        assertThat(r.nextFloat()).isEqualTo(0.790136993f);
        XorShiftRandom s = new XorShiftRandom(133742);
        assertThat(s.nextFloat()).isEqualTo(0.706299007f);
    }

    @Test
    void zeroSeedDoesNotGetStuck() {
        XorShiftRandom r = new XorShiftRandom(0);
        int a = r.nextU32();
        int b = r.nextU32();
        assertThat(a).isNotZero();
        assertThat(b).isNotEqualTo(a);
        XorShiftRandom same = new XorShiftRandom(XorShiftRandom.ZERO_SEED_REPLACEMENT);
        assertThat(same.nextU32()).isEqualTo(a);
    }

    @Test
    void floatsStayInUnitInterval() {
        XorShiftRandom r = new XorShiftRandom(123);
        for (int i = 0; i < 100_000; i++) {
            float f = r.nextFloat();
            assertThat(f).isGreaterThanOrEqualTo(0f).isLessThan(1f);
        }
    }

    private static void assertU32(long seed, long... expected) {
        XorShiftRandom r = new XorShiftRandom(seed);
        for (long e : expected) {
            assertThat(Integer.toUnsignedLong(r.nextU32())).isEqualTo(e);
        }
    }
}
