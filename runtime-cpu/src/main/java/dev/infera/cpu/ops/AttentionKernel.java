package dev.infera.cpu.ops;

/**
 * Causal attention of the query heads that share one KV head, over one sequence's cached context
 * read through its block table. {@link ScalarAttention} is the reference and
 * {@link SimdKernels#attention} the Vector API version; for each query head {@code g} both compute,
 * in two passes,
 *
 * <pre>p = softmax(scale * q_g . K[j]) over j < contextLen;  out_g = sum_j p[j] * V[j]</pre>
 *
 * with {@code K[j]}, {@code V[j]} the KV head's key and value of context index {@code j}. Taking the
 * whole group at once lets a kernel fetch each key and value once for all its query heads
 * (grouped-query attention shares them), which is what bounds decoding over long contexts.
 * Instances are stateless, so worker threads share one; each worker brings its own scratch.
 */
public interface AttentionKernel {

    /**
     * @param q {@code numHeads} consecutive query heads of {@code headDim} floats from {@code qOffset},
     *     already rotated
     * @param blockTable the sequence's KV block ids, covering {@code contextLen} slots
     * @param scores scratch of at least {@code numHeads * contextLen} floats
     * @param out receives {@code numHeads} consecutive heads from {@code outOffset}
     */
    void attend(float[] q, int qOffset, int numHeads, PagedKvCache cache, int layer, int kvHead, int[] blockTable,
            int contextLen, float scale, float[] scores, float[] out, int outOffset);
}
