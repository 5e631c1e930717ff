package dev.infera.core.engine.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BlockIndexTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void behavesLikeAMapUnderRandomInsertsAndRemovals(int seed) {
        Random r = new Random(seed);
        BlockIndex index = new BlockIndex(100);
        Map<Long, Integer> model = new HashMap<>();
        for (int op = 0; op < 20000; op++) {
            // Few distinct keys with clustered low bits, so probe runs and wrap-around are exercised.
            long key = (long) r.nextInt(300) << (r.nextBoolean() ? 0 : 40);
            int value = r.nextInt(100);
            if (r.nextBoolean() && model.size() < 100) {
                boolean stored = index.putIfAbsent(key, value);
                assertThat(stored).isEqualTo(!model.containsKey(key));
                model.putIfAbsent(key, value);
            } else {
                Integer expected = model.get(key);
                boolean removed = index.remove(key, expected == null ? value : expected);
                assertThat(removed).isEqualTo(expected != null);
                model.remove(key);
            }
            assertThat(index.size()).isEqualTo(model.size());
            long probe = (long) r.nextInt(300) << (r.nextBoolean() ? 0 : 40);
            assertThat(index.get(probe)).isEqualTo(model.getOrDefault(probe, -1));
        }
    }
}
