package dev.infera.core.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RankedKeysTest {


    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void keyOrderIsValueThenLowerIdAndRoundTrips(long seed) {
        Random random = new Random(seed);
        float[] specials = {0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE,
                -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int trial = 0; trial < 20_000; trial++) {
            float a = trial < 100 ? specials[random.nextInt(specials.length)] : (float) random.nextGaussian() * 10;
            float b = random.nextInt(4) == 0 ? a : (float) random.nextGaussian() * 10;
            int ia = random.nextInt(200_000);
            int ib = random.nextInt(200_000);
            long ka = RankedKeys.key(a, ia);
            long kb = RankedKeys.key(b, ib);
            assertThat(RankedKeys.value(ka)).isEqualTo(a);
            assertThat(RankedKeys.tokenId(ka)).isEqualTo(ia);
            int expected = Float.compare(a, b) != 0 ? Float.compare(a, b) : Integer.compare(ib, ia);
            assertThat(Integer.signum(Long.compare(ka, kb))).as("%s#%d vs %s#%d", a, ia, b, ib)
                    .isEqualTo(Integer.signum(expected));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 17, 100, 999})
    void selectLargestEqualsFullSortPrefix(int k) {
        Random random = new Random(k);
        for (int trial = 0; trial < 30; trial++) {
            int n = 1 + random.nextInt(1000);
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                // few distinct values, so ties are common
                values[i] = random.nextInt(3) == 0 ? random.nextInt(5) : (float) random.nextGaussian();
            }
            float floor = random.nextBoolean() ? Float.NEGATIVE_INFINITY : (float) random.nextGaussian();
            Integer[] order = IntStream.range(0, n).filter(i -> values[i] >= floor).boxed().toArray(Integer[]::new);
            Arrays.sort(order, (x, y) -> Float.compare(values[x], values[y]) != 0
                    ? Float.compare(values[y], values[x]) : Integer.compare(x, y));
            long[] out = new long[n];
            int count = RankedKeys.selectLargest(values, n, k, floor, out);
            assertThat(count).isEqualTo(Math.min(k, order.length));
            for (int i = 0; i < count; i++) {
                assertThat(RankedKeys.tokenId(out[i])).isEqualTo(order[i]);
                assertThat(RankedKeys.value(out[i])).isEqualTo(values[order[i]]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 64, 513})
    void maxHeapPopsInDescendingOrder(int n) {
        Random random = new Random(n);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextInt(10) / 10f;
        }
        long[] keys = new long[n];
        assertThat(RankedKeys.gather(values, n, 0.35f, keys))
                .isEqualTo((int) IntStream.range(0, n).filter(i -> values[i] >= 0.35f).count());
        int count = RankedKeys.gather(values, n, Float.NEGATIVE_INFINITY, keys);
        long[] sorted = Arrays.copyOf(keys, count);
        Arrays.sort(sorted);
        RankedKeys.heapifyMax(keys, count);
        for (int size = count, i = 0; size > 0; size--, i++) {
            assertThat(RankedKeys.popMax(keys, size)).isEqualTo(sorted[count - 1 - i]);
        }
    }
}
