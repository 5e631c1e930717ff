package dev.infera.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.KvCacheType;
import org.junit.jupiter.api.Test;

class EngineSettingsTest {

    private static final long BYTES_PER_TOKEN = 1000;

    private static EngineSettings settings(long kvCacheBytes, boolean prefixCaching) {
        return new EngineSettings("cpu", 2, 2048, 256, kvCacheBytes, 16, KvCacheType.AUTO, prefixCaching);
    }

    @Test
    void fitsTheRequestsInFlightInWholeBlocks() {
        // 8 requests of 100 tokens: 7 blocks of 16 each.
        assertThat(settings(0, false).kvCacheBytesFor(8, 100, 0, 0, BYTES_PER_TOKEN)).isEqualTo(8L * 7 * 16 * 1000);
        // A workload without a shared prefix (its prefix count is still 1) needs no prefix room.
        assertThat(settings(0, true).kvCacheBytesFor(8, 100, 1, 0, BYTES_PER_TOKEN)).isEqualTo(8L * 7 * 16 * 1000);
    }

    @Test
    void keepsRoomForTheSharedPrefixesWhenTheyAreCached() {
        // One stream of 576 tokens (36 blocks) and 8 prefixes of 512 tokens (32 full blocks each).
        long withCache = settings(0, true).kvCacheBytesFor(1, 576, 8, 512, BYTES_PER_TOKEN);
        assertThat(withCache).isEqualTo((36L + 8 * 32) * 16 * 1000);
        // Only full blocks of a prefix are ever cached: 520 tokens still count 32 blocks.
        assertThat(settings(0, true).kvCacheBytesFor(1, 576, 8, 520, BYTES_PER_TOKEN)).isEqualTo(withCache);
        // Without the prefix cache the prefixes need no room of their own.
        assertThat(settings(0, false).kvCacheBytesFor(1, 576, 8, 512, BYTES_PER_TOKEN)).isEqualTo(36L * 16 * 1000);
    }

    @Test
    void aConfiguredSizeWins() {
        assertThat(settings(5_000_000, true).kvCacheBytesFor(64, 4096, 8, 512, BYTES_PER_TOKEN)).isEqualTo(5_000_000);
    }

    /** AUTO keeps F32 K/V only for all-F32 models; the 2-byte types take half the F32 bytes. */
    @Test
    void bytesPerTokenFollowTheCacheType() {
        assertThat(settings(0, true).kvBytesPerToken(1000, true)).isEqualTo(1000);
        assertThat(settings(0, true).kvBytesPerToken(1000, false)).isEqualTo(500);
        EngineSettings f32 = new EngineSettings("cpu", 2, 2048, 256, 0, 16, KvCacheType.F32, true);
        assertThat(f32.kvBytesPerToken(1000, false)).isEqualTo(1000);
        EngineSettings f16 = new EngineSettings("cpu", 2, 2048, 256, 0, 16, KvCacheType.F16, true);
        assertThat(f16.kvBytesPerToken(1000, true)).isEqualTo(500);
    }

    @Test
    void runningRequestsCapTheRoom() {
        EngineSettings capped = new EngineSettings("cpu", 2, 2048, 4, 0, 16, KvCacheType.AUTO, false);
        assertThat(capped.kvCacheBytesFor(64, 16, 0, 0, BYTES_PER_TOKEN)).isEqualTo(4L * 16 * 1000);
    }
}
