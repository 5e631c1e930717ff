package dev.infera.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KvCacheSizingTest {

    @Test
    void bytesAreUsedAsGiven() {
        assertThat(KvCacheSizing.cacheBytes(12345, 0, 64, 16, 4, 2048)).isEqualTo(12345);
    }

    @Test
    void tokensBecomeWholeBlocksAtTheBackendsBytesPerBlock() {
        // 100 tokens in blocks of 16 -> 7 blocks, at the backend's 640 bytes per block (not a guessed width).
        assertThat(KvCacheSizing.cacheBytes(0, 100, 640, 16, 4, 2048)).isEqualTo(7 * 640);
    }

    @Test
    void tokensAreUsedAsGivenEvenPastWhatTheRunningRequestsCouldUse() {
        // One request of context 256 fills 16 blocks; the other 48 hold cached prefixes.
        assertThat(KvCacheSizing.cacheBytes(0, 1024, 640, 16, 1, 256)).isEqualTo(64 * 640);
    }
}
