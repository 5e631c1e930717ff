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
    void tokensAreCappedAtWhatTheRunningRequestsCouldUse() {
        // One request, context 256 -> at most 16 blocks, however many tokens were asked for.
        assertThat(KvCacheSizing.cacheBytes(0, 1_000_000, 640, 16, 1, 256)).isEqualTo(16 * 640);
    }
}
