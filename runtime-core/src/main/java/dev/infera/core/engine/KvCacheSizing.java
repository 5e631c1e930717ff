package dev.infera.core.engine;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * How many KV blocks an engine gets. An explicit {@code kvCacheBytes} is used as given, and so is an
 * explicit {@code kvCacheTokens}, as whole blocks at the backend's bytes per block: a cache larger
 * than the running requests can fill is what keeps more prefixes cached, and whoever sized it knows
 * their traffic. Otherwise the cache takes a quarter of the machine's free physical memory, but never
 * more than every running request could use at full context length.
 */
final class KvCacheSizing {

    /** Share of free physical memory the cache takes when no size is given. */
    static final double FREE_MEMORY_SHARE = 0.25;

    private KvCacheSizing() {
    }

    /** The cache size in bytes for a configured size in bytes or in tokens (both 0 = automatic). */
    static long cacheBytes(long configuredBytes, int configuredTokens, long bytesPerBlock, int blockSize,
            int maxRunningRequests, int contextLength) {
        if (configuredBytes > 0) {
            return configuredBytes;
        }
        if (configuredTokens > 0) {
            long blocks = (configuredTokens + (long) blockSize - 1) / blockSize;
            return saturatingMultiply(blocks, bytesPerBlock);
        }
        long blocksPerContext = (contextLength + (long) blockSize - 1) / blockSize;
        long usefulBlocks = saturatingMultiply(blocksPerContext, maxRunningRequests);
        long usefulBytes = saturatingMultiply(usefulBlocks, bytesPerBlock);
        long shareBytes = (long) (freePhysicalMemoryBytes() * FREE_MEMORY_SHARE);
        return Math.max(bytesPerBlock, Math.min(usefulBytes, shareBytes));
    }

    /** The number of blocks that fit in {@code cacheBytes}, or an explanation when none does. */
    static int numBlocks(long cacheBytes, long bytesPerBlock, int blockSize) {
        long blocks = cacheBytes / bytesPerBlock;
        if (blocks < 1) {
            throw new IllegalArgumentException("kvCacheBytes " + cacheBytes + " is less than one KV block ("
                    + bytesPerBlock + " bytes for " + blockSize + " tokens of this model)");
        }
        return (int) Math.min(blocks, Integer.MAX_VALUE / blockSize);
    }

    static long freePhysicalMemoryBytes() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getFreeMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    private static long saturatingMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }
}
