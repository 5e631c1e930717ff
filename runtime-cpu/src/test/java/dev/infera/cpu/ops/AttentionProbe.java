package dev.infera.cpu.ops;

import dev.infera.core.backend.KvCacheLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import jdk.incubator.vector.FloatVector;

/**
 * A measuring tool, not a test: thread CPU time and bytes allocated of one thread running the Vector
 * API attention at SmolLM2-135M heads (9 query heads, 3 KV heads, head 64, blocks of 16, scattered),
 * for cases {@code SEQSxCONTEXTxROWS}: {@code rows = 1} is decode, more rows a prefill chunk (tiles of
 * 16 rows, as the forward pass cuts them). With {@code --cold}, 30 layers are cached and 5 MiB (about
 * one layer's weights) are streamed between layers, so K/V come from memory as in a decode step.
 * Thread CPU time is used because the shared machine's wall clock is noisy. Run from the repository
 * root after {@code ./mvnw -q -o test-compile -pl runtime-cpu -am}:
 * <pre>
 * $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -cp runtime-cpu/target/test-classes:runtime-cpu/target/classes:runtime-core/target/classes:runtime-api/target/classes dev.infera.cpu.ops.AttentionProbe 32x128x1 1x512x512 --cold 32x144x1
 * </pre>
 */
public final class AttentionProbe {

    private static final int HEADS = 9;
    private static final int KV_HEADS = 3;
    private static final int HEAD_DIM = 64;
    private static final int GROUP = HEADS / KV_HEADS;
    private static final int BLOCK_SIZE = 16;
    private static final int TILE_ROWS = 16;
    private static final int COLD_LAYERS = 30;

    private AttentionProbe() {
    }

    public static void main(String[] args) {
        boolean cold = false;
        for (String arg : args) {
            if (arg.equals("--cold")) {
                cold = true;
                continue;
            }
            String[] p = arg.split("x");
            run(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]), cold);
        }
    }

    private static void run(int seqs, int context, int rows, boolean cold) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        AttentionKernel attention = SimdKernels.attention(FloatVector.SPECIES_PREFERRED);
        int layers = cold ? COLD_LAYERS : 1;
        int blocksPerSeq = (context + BLOCK_SIZE - 1) / BLOCK_SIZE;
        int numBlocks = blocksPerSeq * seqs;
        MemorySegment evict = Arena.global().allocate(5L << 20, 64);
        try (PagedKvCache cache = new PagedKvCache(new KvCacheLayout(layers, KV_HEADS, HEAD_DIM, numBlocks,
                BLOCK_SIZE, Float.BYTES))) {
            Random rnd = new Random(5);
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < numBlocks; i++) {
                ids.add(i);
            }
            Collections.shuffle(ids, rnd);
            int[][] tables = new int[seqs][blocksPerSeq];
            float[] kv = ElementwiseOpsTest.gaussian(rnd, KV_HEADS * HEAD_DIM, 1f);
            for (int s = 0; s < seqs; s++) {
                for (int b = 0; b < blocksPerSeq; b++) {
                    tables[s][b] = ids.get(s * blocksPerSeq + b);
                }
                for (int l = 0; l < layers; l++) {
                    for (int pos = 0; pos < context; pos++) {
                        cache.write(l, tables[s][pos / BLOCK_SIZE] * BLOCK_SIZE + pos % BLOCK_SIZE, kv, 0, kv, 0);
                    }
                }
            }
            float[] q = ElementwiseOpsTest.gaussian(rnd, seqs * rows * HEADS * HEAD_DIM, 1f);
            float[] out = new float[q.length];
            float[] scratch = new float[AttentionKernel.scratchFloats(Math.min(rows, TILE_ROWS), GROUP, context,
                    BLOCK_SIZE)];
            int reps = (int) Math.max(2, 2e8 / ((double) seqs * context * rows * HEADS * HEAD_DIM * layers));
            long best = Long.MAX_VALUE;
            long bytes = 0;
            float sink = 0;
            for (int round = 0; round < 8; round++) {
                long nanos = 0;
                long bytes0 = threads.getCurrentThreadAllocatedBytes();
                for (int rep = 0; rep < reps; rep++) {
                    for (int l = 0; l < layers; l++) {
                        for (long off = 0; cold && off < evict.byteSize(); off += 64) {
                            sink += evict.get(ValueLayout.JAVA_FLOAT, off);
                        }
                        long t0 = threads.getCurrentThreadCpuTime();
                        for (int s = 0; s < seqs; s++) {
                            for (int h = 0; h < KV_HEADS; h++) {
                                for (int row = 0; row < rows; row += TILE_ROWS) {
                                    int at = ((s * rows + row) * HEADS + h * GROUP) * HEAD_DIM;
                                    attention.attend(q, at, HEADS * HEAD_DIM, Math.min(TILE_ROWS, rows - row), GROUP,
                                            cache, l, h, tables[s], context - rows + row + 1, 0.125f, scratch, out, at);
                                }
                            }
                        }
                        nanos += threads.getCurrentThreadCpuTime() - t0;
                    }
                }
                bytes = (threads.getCurrentThreadAllocatedBytes() - bytes0) / reps;
                if (round >= 3) {
                    best = Math.min(best, nanos / reps / layers);
                }
            }
            System.out.printf("%s seqs=%d context=%d rows=%d: %.1f us per layer (one thread, CPU time), %d B "
                    + "allocated per layer%s%n", cold ? "cold" : "hot", seqs, context, rows, best / 1e3, bytes / layers,
                    sink == 0.5f ? " " : "");
        }
    }
}
