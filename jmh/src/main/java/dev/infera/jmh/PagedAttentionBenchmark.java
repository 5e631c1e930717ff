package dev.infera.jmh;

import dev.infera.core.backend.KvCacheLayout;
import dev.infera.cpu.CpuKernels;
import dev.infera.cpu.kernels.WorkerPool;
import dev.infera.cpu.ops.AttentionKernel;
import dev.infera.cpu.ops.PagedKvCache;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One layer's attention for {@code sequences} sequences of {@code context} tokens each, through the
 * CPU backend's paged KV cache and its Vector API attention kernel, run on a worker pool as the
 * forward pass does: one task per tile of up to 16 query rows, taking its KV heads in turn (or, with
 * {@code -p wholeTile=false}, one task per tile and KV head), the query heads sharing a KV head
 * together. {@code rows = 1} is decode (each sequence's newest token attends to its whole
 * context); {@code rows > 1} is a prefill chunk: each sequence's last {@code rows} positions attend
 * causally. Each sequence's blocks are scattered over the cache in a seeded random order, as they are
 * after serving for a while.
 *
 * <p>Besides calls per second JMH prints {@code kvBytes}: the K and V bytes one call reads at least
 * (every KV head's keys and values of every context position, once), as a rate; divide by 1e9 for
 * GB/s. Heads are {@code queryHeads/kvHeads/headDim}: SmolLM2-135M 9/3/64, Qwen2.5-0.5B 14/2/64,
 * Llama-3.2-1B 32/8/64.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class PagedAttentionBenchmark {

    private static final int TILE_ROWS = 16;

    @Param({"128", "512", "1024", "4096"})
    public int context;

    @Param({"1", "8", "32", "64"})
    public int sequences;

    @Param({"9/3/64"})
    public String heads;

    @Param({"2"})
    public int threads;

    @Param({"1"})
    public int rows;

    /**
     * Layers in the cache; each call attends over the next one in turn. One layer of a few sequences
     * fits in the L3 cache and measures cache speed; the engine's 30 layers (SmolLM2) make each call
     * read K/V from memory, as a decode step does.
     */
    @Param({"1"})
    public int layers;

    /** Tokens per KV block (the engine's default is 16). */
    @Param({"16"})
    public int blockSize;

    /**
     * Whether one task takes every KV head of its tile in turn (as the engine does from one tile per
     * thread) or one KV head (as it does for a single sequence).
     */
    @Param({"true"})
    public boolean wholeTile;

    /** Bytes of one K/V element: 4 (F32, the default cache) or 2 (F16, {@code --kv-cache-type f16}). */
    @Param({"4"})
    public int kvElementBytes;

    private int numHeads;
    private int numKvHeads;
    private int headDim;
    private float scale;
    private WorkerPool pool;
    private AttentionKernel attention;
    private PagedKvCache cache;
    private int[][] blockTables;
    private float[] q;
    private float[] out;
    private float[][] scores;
    private int tilesPerSequence;
    private int layer;
    private int callLayer;
    private final WorkerPool.Task task = this::attendOne;
    private final WorkerPool.Task wholeTileTask = this::attendTile;

    /** The KV bytes rate JMH reports next to the primary score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Work {
        public long kvBytes;
    }

    @Setup(Level.Trial)
    public void setUp() {
        String[] h = heads.split("/");
        numHeads = Integer.parseInt(h[0]);
        numKvHeads = Integer.parseInt(h[1]);
        headDim = Integer.parseInt(h[2]);
        scale = (float) (1 / Math.sqrt(headDim));
        int blocksPerSequence = (context + blockSize - 1) / blockSize;
        int numBlocks = blocksPerSequence * sequences;
        cache = new PagedKvCache(new KvCacheLayout(layers, numKvHeads, headDim, numBlocks, blockSize, kvElementBytes));
        fillRandom(cache.memory(), kvElementBytes);
        List<Integer> ids = new ArrayList<>(numBlocks);
        for (int b = 0; b < numBlocks; b++) {
            ids.add(b);
        }
        Collections.shuffle(ids, new Random(7));
        blockTables = new int[sequences][blocksPerSequence];
        for (int s = 0; s < sequences; s++) {
            for (int b = 0; b < blocksPerSequence; b++) {
                blockTables[s][b] = ids.get(s * blocksPerSequence + b);
            }
        }
        Random random = new Random(3);
        if (rows < 1 || rows > context) {
            throw new IllegalArgumentException("rows must be in [1, context], got " + rows);
        }
        tilesPerSequence = (rows + TILE_ROWS - 1) / TILE_ROWS;
        q = new float[sequences * rows * numHeads * headDim];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) random.nextGaussian();
        }
        out = new float[q.length];
        pool = new WorkerPool(threads);
        scores = new float[threads][AttentionKernel.scratchFloats(Math.min(rows, TILE_ROWS), numHeads / numKvHeads,
                context, blockSize)];
        attention = CpuKernels.simd(pool, headDim).attention();
    }

    /** Random values in the first MiB, repeated: realistic magnitudes without minutes of setup. */
    private static void fillRandom(MemorySegment memory, int elementBytes) {
        long pattern = Math.min(memory.byteSize(), 1L << 20);
        Random random = new Random(5);
        for (long off = 0; off < pattern; off += elementBytes) {
            float v = (float) random.nextGaussian();
            if (elementBytes == Float.BYTES) {
                memory.set(PagedKvCache.ELEMENT, off, v);
            } else {
                memory.set(PagedKvCache.HALF, off, Float.floatToFloat16(v));
            }
        }
        for (long off = pattern; off < memory.byteSize(); off += pattern) {
            MemorySegment.copy(memory, 0, memory, off, Math.min(pattern, memory.byteSize() - off));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        cache.close();
    }

    @Benchmark
    public float attend(Work work) {
        callLayer = layer;
        layer = layer + 1 == layers ? 0 : layer + 1;
        if (wholeTile) {
            pool.parallelFor(sequences * tilesPerSequence, wholeTileTask);
        } else {
            pool.parallelFor(sequences * tilesPerSequence * numKvHeads, task);
        }
        work.kvBytes += 2L * sequences * context * numKvHeads * headDim * kvElementBytes;
        return out[0];
    }

    private void attendTile(int t, int worker) {
        for (int kvHead = 0; kvHead < numKvHeads; kvHead++) {
            attendOne(t * numKvHeads + kvHead, worker);
        }
    }

    private void attendOne(int t, int worker) {
        int kvHead = t % numKvHeads;
        int tile = t / numKvHeads % tilesPerSequence;
        int seq = t / numKvHeads / tilesPerSequence;
        int group = numHeads / numKvHeads;
        int firstRow = tile * TILE_ROWS;
        int tileRows = Math.min(TILE_ROWS, rows - firstRow);
        int rowStride = numHeads * headDim;
        int offset = (seq * rows + firstRow) * rowStride + kvHead * group * headDim;
        attention.attend(q, offset, rowStride, tileRows, group, cache, callLayer, kvHead, blockTables[seq],
                context - rows + firstRow + 1, scale, scores[worker], out, offset);
    }
}
