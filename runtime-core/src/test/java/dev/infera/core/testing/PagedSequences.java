package dev.infera.core.testing;

import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepBatchBuilder;
import dev.infera.core.backend.StepResult;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Random;

/**
 * A minimal stand-in for the engine's KV block manager, for backend tests: hands out blocks from a
 * shuffled free list (so no sequence's blocks are contiguous or in order) and builds each step's batch
 * from the sequences' block tables.
 */
public final class PagedSequences {

    /** One sequence's feed for a step: its new tokens and how many of the last ones' logits to return. */
    public record Feed(int seq, int[] tokens, int numSampled) {
        public Feed(int seq, int[] tokens, boolean sample) {
            this(seq, tokens, sample ? 1 : 0);
        }
    }

    private final ExecutionBackend backend;
    private final KvCacheLayout layout;
    private final Deque<Integer> freeBlocks = new ArrayDeque<>();
    private final List<int[]> blockTables = new ArrayList<>();
    private final List<Integer> computed = new ArrayList<>();

    public PagedSequences(ExecutionBackend backend, int numBlocks, int blockSize, long shuffleSeed) {
        this.backend = backend;
        this.layout = backend.allocateKvCache(numBlocks, blockSize);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < numBlocks; i++) {
            ids.add(i);
        }
        Collections.shuffle(ids, new Random(shuffleSeed));
        freeBlocks.addAll(ids);
    }

    public int newSequence() {
        blockTables.add(new int[0]);
        computed.add(0);
        return blockTables.size() - 1;
    }

    public int computedTokens(int seq) {
        return computed.get(seq);
    }

    /** The batch for the feeds (in order); the sequences' counts advance as if it ran. */
    public StepBatch batch(List<Feed> feeds) {
        StepBatch batch = build(feeds);
        advance(feeds);
        return batch;
    }

    /**
     * Runs one step over the feeds (in order) and returns a copy of every sampled row's logits, feed
     * after feed. The counts advance only when the step ran.
     */
    public float[][] step(List<Feed> feeds) {
        StepResult r = backend.execute(build(feeds));
        advance(feeds);
        float[][] out = new float[r.numRows()][];
        for (int row = 0; row < out.length; row++) {
            out[row] = r.row(row);
        }
        return out;
    }

    /** Feeds one sequence alone and returns its last token's logits. */
    public float[] step(int seq, int... tokens) {
        return step(List.of(new Feed(seq, tokens, true)))[0];
    }

    private StepBatch build(List<Feed> feeds) {
        StepBatchBuilder b = new StepBatchBuilder(layout);
        for (Feed f : feeds) {
            int newLen = computed.get(f.seq()) + f.tokens().length;
            int[] table = blockTables.get(f.seq());
            int needed = (newLen + layout.blockSize() - 1) / layout.blockSize();
            if (needed > table.length) {
                int old = table.length;
                table = Arrays.copyOf(table, needed);
                for (int i = old; i < needed; i++) {
                    Integer block = freeBlocks.poll();
                    if (block == null) {
                        throw new IllegalStateException("test KV cache is full");
                    }
                    table[i] = block;
                }
                blockTables.set(f.seq(), table);
            }
            b.addSequence(table, computed.get(f.seq()), f.tokens(), f.numSampled());
        }
        return b.build();
    }

    private void advance(List<Feed> feeds) {
        for (Feed f : feeds) {
            computed.set(f.seq(), computed.get(f.seq()) + f.tokens().length);
        }
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Largest element difference relative to the largest magnitude in the expected row. */
    public static double relativeError(float[] actual, float[] expected) {
        double maxDiff = 0;
        double scale = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        return maxDiff / scale;
    }
}
