package dev.infera.cpu.ops;

/**
 * Causal attention of a tile of query rows of one sequence, for the query heads that share one KV
 * head, over the sequence's cached context read through its block table. {@link ScalarAttention} is
 * the reference and {@link SimdKernels#attention} the Vector API version. Row {@code r} of the tile
 * sits at position {@code firstContextLen - 1 + r} (a prefill chunk's rows are consecutive; a decode
 * step is a tile of one row), so its context is {@code firstContextLen + r} slots, its own key and
 * value included. For each row {@code r} and query head {@code g} both compute
 *
 * <pre>p = softmax(scale * q_rg . K[j]) over j < contextLen(r);  out_rg = sum_j p[j] * V[j]</pre>
 *
 * with {@code K[j]}, {@code V[j]} the KV head's key and value of context index {@code j}. Taking many
 * queries at once lets a kernel fetch each key and value tile once for all of them (grouped-query
 * heads and the rows of a prefill chunk share them), which is what bounds attention over long
 * contexts. A row's result must not depend on which other rows share its tile (the SIMD kernel
 * computes each row exactly as it would alone), so greedy output stays independent of batching. Instances are stateless, so worker threads share one; each worker brings its own scratch.
 */
public interface AttentionKernel {

    /**
     * @param q query heads, already rotated: row {@code r}, head {@code g} is {@code headDim} floats at
     *     {@code qOffset + r * rowStride + g * headDim}
     * @param numRows rows in the tile (at least 1)
     * @param numHeads query heads per row, all reading {@code kvHead}
     * @param blockTable the sequence's KV block ids, covering {@code firstContextLen + numRows - 1} slots
     * @param firstContextLen context length of row 0 (at least 1)
     * @param scratch at least {@link #scratchFloats} floats
     * @param out receives row {@code r}, head {@code g} at {@code outOffset + r * rowStride + g * headDim}
     */
    void attend(float[] q, int qOffset, int rowStride, int numRows, int numHeads, PagedKvCache cache, int layer,
            int kvHead, int[] blockTable, int firstContextLen, float scale, float[] scratch, float[] out,
            int outOffset);

    /**
     * Scratch floats {@link #attend} needs for {@code numRows x numHeads} queries whose longest context
     * is {@code maxContextLen}: one score row per query, padded to whole blocks plus one vector, and one
     * float per query for its softmax sum.
     */
    static int scratchFloats(int numRows, int numHeads, int maxContextLen, int blockSize) {
        long queries = (long) numRows * numHeads;
        long floats = queries * scoreRowFloats(maxContextLen, blockSize) + queries;
        if (floats > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("attention over " + queries + " queries of context " + maxContextLen
                    + " needs " + floats + " scratch floats, more than a Java array holds");
        }
        return (int) floats;
    }

    /** Length of one query's score row in the scratch: whole blocks plus one vector of slack. */
    static int scoreRowFloats(int maxContextLen, int blockSize) {
        return (maxContextLen + blockSize - 1) / blockSize * blockSize + PagedKvCache.KEY_LANES;
    }
}
