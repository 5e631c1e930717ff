package dev.infera.cuda.plan;

import dev.infera.core.backend.StepBatch;
import java.util.Arrays;

/**
 * Which decode steps replay a captured CUDA graph, and which graph. A graph freezes a launch sequence
 * with its grid sizes and scalar arguments, so it serves one padded shape: a bucket of sequence rows
 * (the smallest bucket that holds the step's sequences, padding rows doing harmless work) and a
 * block-table stride rounded up to a power of two (which fixes the decode split count). The metadata
 * the kernels read lives at fixed device addresses and is rewritten before every replay.
 *
 * <p>Only pure decode steps qualify: one new token per sequence, every row sampled, at most the largest
 * bucket of sequences. Anything else runs its launches directly.
 */
public final class GraphBuckets {

    /** Roughly 1.5x apart above 8, so padding wastes at most a third of a large batch. */
    public static final int[] DEFAULT_SIZES = {1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512};

    /** A captured graph's identity. */
    public record Key(int rows, int tableStride) {
    }

    private final int[] sizes;

    public GraphBuckets(int... sizes) {
        if (sizes.length == 0) {
            throw new IllegalArgumentException("at least one bucket size is needed");
        }
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] < 1 || (i > 0 && sizes[i] <= sizes[i - 1])) {
                throw new IllegalArgumentException("bucket sizes must be positive and strictly increasing: "
                        + Arrays.toString(sizes));
            }
        }
        this.sizes = sizes.clone();
    }

    public static GraphBuckets defaults() {
        return new GraphBuckets(DEFAULT_SIZES);
    }

    public int largest() {
        return sizes[sizes.length - 1];
    }

    /** The smallest bucket holding {@code numSeqs} rows, or -1 when none does. */
    public int bucketFor(int numSeqs) {
        if (numSeqs < 1) {
            throw new IllegalArgumentException("numSeqs must be positive, got " + numSeqs);
        }
        for (int size : sizes) {
            if (size >= numSeqs) {
                return size;
            }
        }
        return -1;
    }

    /** The table stride a graph uses for tables of up to {@code blocksNeeded} blocks: the next power of two. */
    public static int tableStrideFor(int blocksNeeded) {
        int n = Math.max(1, blocksNeeded);
        int p = Integer.highestOneBit(n);
        return p == n ? p : p << 1;
    }

    /** Blocks the longest sequence of the batch needs. */
    public static int blocksNeeded(StepBatch batch) {
        int blockSize = batch.kvLayout().blockSize();
        return (batch.maxSeqLen() + blockSize - 1) / blockSize;
    }

    /** The graph for a batch, or null when the batch must run its launches directly. */
    public Key keyFor(StepBatch batch) {
        int numSeqs = batch.numSeqs();
        if (batch.numTokens() != numSeqs || batch.numSampleRows() != numSeqs) {
            return null;
        }
        int rows = bucketFor(numSeqs);
        return rows < 0 ? null : new Key(rows, tableStrideFor(blocksNeeded(batch)));
    }
}
