package dev.infera.cpu.ops;

/**
 * Causal attention of one query head over one sequence's cached context, read through its block
 * table. {@link ScalarAttention} is the reference and {@link SimdKernels#attention} the Vector API version;
 * both compute, in two passes,
 *
 * <pre>p = softmax(scale * q . K[j]) over j < contextLen;  out = sum_j p[j] * V[j]</pre>
 *
 * with {@code K[j]}, {@code V[j]} the KV head's key and value of context index {@code j}. Instances
 * are stateless, so worker threads share one; each worker brings its own {@code scores} scratch.
 */
public interface AttentionKernel {

    /**
     * @param q the query head ({@code headDim} floats from {@code qOffset}), already rotated
     * @param blockTable the sequence's KV block ids, covering {@code contextLen} slots
     * @param scores scratch of at least {@code contextLen} floats
     * @param out receives {@code headDim} floats from {@code outOffset}
     */
    void attendHead(float[] q, int qOffset, PagedKvCache cache, int layer, int kvHead, int[] blockTable,
            int contextLen, float scale, float[] scores, float[] out, int outOffset);
}
