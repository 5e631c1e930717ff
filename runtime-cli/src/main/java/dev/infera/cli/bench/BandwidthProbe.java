package dev.infera.cli.bench;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures the memory read bandwidth the machine gives {@code threads} threads: a buffer far larger
 * than any cache is allocated off-heap and touched, then every thread streams through its own
 * contiguous share of it, summing 8-byte words into four independent accumulators (so the loads, not
 * the additions, set the pace). The best of several passes counts, after one warm-up pass for the JIT.
 *
 * <p>This is the denominator of the decode roofline. The result is kept in the {@link BenchCache}
 * per thread count, so the probe runs once per machine and thread count.
 */
public final class BandwidthProbe {

    static final long DEFAULT_BUFFER_BYTES = 512L << 20;
    static final int DEFAULT_PASSES = 6;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG;

    private BandwidthProbe() {
    }

    /** The cached bandwidth for {@code threads}, measured (and cached) first if needed, in GB/s. */
    public static double cachedOrMeasure(BenchCache cache, int threads, PrintStream log) {
        String name = cacheFileName(threads);
        String cached = cache.readText(name);
        if (cached != null) {
            try {
                double gbs = Double.parseDouble(cached.trim());
                if (gbs > 0 && Double.isFinite(gbs)) {
                    return gbs;
                }
            } catch (NumberFormatException ignored) {
                // A damaged cache file is measured again and replaced.
            }
        }
        log.println("infera bench: measuring memory bandwidth once with " + threads + " threads (cached in "
                + cache.folder() + ")...");
        double gbs = measure(threads, DEFAULT_BUFFER_BYTES, DEFAULT_PASSES);
        cache.writeText(name, String.format(Locale.ROOT, "%.3f%n", gbs));
        return gbs;
    }

    /** The cache file that holds the bandwidth measured with {@code threads} threads. */
    public static String cacheFileName(int threads) {
        return "bandwidth-" + threads + "threads.txt";
    }

    /** Streams {@code passes} times through a {@code bufferBytes} buffer with {@code threads} threads; GB/s. */
    public static double measure(int threads, long bufferBytes, int passes) {
        if (threads < 1 || passes < 1 || bufferBytes < 32L * threads) {
            throw new IllegalArgumentException("bandwidth probe needs threads >= 1, passes >= 1 and a buffer of at "
                    + "least 32 bytes per thread; got " + threads + ", " + passes + ", " + bufferBytes);
        }
        long share = bufferBytes / threads / 32 * 32;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(share * threads, 4096);
            buffer.fill((byte) 1);
            AtomicLong sink = new AtomicLong();
            double best = 0;
            for (int pass = 0; pass <= passes; pass++) {
                long nanos = timedPass(buffer, threads, share, sink);
                if (pass > 0) {
                    best = Math.max(best, share * threads / (double) nanos);
                }
            }
            if (sink.get() == 42) {
                // Never true for a buffer of ones; keeps the sums observable so the reads are not dropped.
                best += 1e-12;
            }
            return best;
        }
    }

    private static long timedPass(MemorySegment buffer, int threads, long share, AtomicLong sink) {
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            MemorySegment slice = buffer.asSlice(t * share, share);
            workers[t] = Thread.ofPlatform().name("infera-bandwidth-" + t).start(() -> {
                await(start);
                sink.addAndGet(sum(slice));
            });
        }
        await(start);
        long begin = System.nanoTime();
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while measuring memory bandwidth", e);
            }
        }
        return System.nanoTime() - begin;
    }

    private static long sum(MemorySegment s) {
        long a = 0;
        long b = 0;
        long c = 0;
        long d = 0;
        long n = s.byteSize();
        for (long off = 0; off < n; off += 32) {
            a += s.get(WORD, off);
            b += s.get(WORD, off + 8);
            c += s.get(WORD, off + 16);
            d += s.get(WORD, off + 24);
        }
        return a + b + c + d;
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException("bandwidth probe threads could not start together", e);
        }
    }
}
