package dev.infera.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.KvCacheType;
import org.junit.jupiter.api.Test;

class EngineSettingsTest {

    private static EngineSettings settings(long kvCacheBytes, boolean prefixCaching) {
        return new EngineSettings("cpu", 2, 2048, 256, kvCacheBytes, 16, KvCacheType.AUTO, prefixCaching);
    }

    @Test
    void fitsTheRequestsInFlightInWholeBlocks() {
        // 8 requests of 100 tokens: 7 blocks of 16 each.
        assertThat(settings(0, false).kvCacheTokensFor(8, 100, 0, 0)).isEqualTo(8 * 7 * 16);
        // A workload without a shared prefix (its prefix count is still 1) needs no prefix room.
        assertThat(settings(0, true).kvCacheTokensFor(8, 100, 1, 0)).isEqualTo(8 * 7 * 16);
    }

    @Test
    void keepsRoomForTheSharedPrefixesWhenTheyAreCached() {
        // One stream of 576 tokens (36 blocks) and 8 prefixes of 512 tokens (32 full blocks each).
        int withCache = settings(0, true).kvCacheTokensFor(1, 576, 8, 512);
        assertThat(withCache).isEqualTo((36 + 8 * 32) * 16);
        // Only full blocks of a prefix are ever cached: 520 tokens still count 32 blocks.
        assertThat(settings(0, true).kvCacheTokensFor(1, 576, 8, 520)).isEqualTo(withCache);
        // Without the prefix cache the prefixes need no room of their own.
        assertThat(settings(0, false).kvCacheTokensFor(1, 576, 8, 512)).isEqualTo(36 * 16);
    }

    @Test
    void runningRequestsCapTheRoom() {
        EngineSettings capped = new EngineSettings("cpu", 2, 2048, 4, 0, 16, KvCacheType.AUTO, false);
        assertThat(capped.kvCacheTokensFor(64, 16, 0, 0)).isEqualTo(4 * 16);
    }

    @Test
    void aHugeWorkloadStaysWithinTheTokenRange() {
        EngineSettings wide = new EngineSettings("cpu", 2, 2048, 1 << 20, 0, 16, KvCacheType.AUTO, true);
        assertThat(wide.kvCacheTokensFor(1 << 20, 1 << 20, 0, 0)).isEqualTo(Integer.MAX_VALUE / 16 * 16);
    }
}
