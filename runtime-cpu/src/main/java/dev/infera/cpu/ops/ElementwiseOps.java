package dev.infera.cpu.ops;

import dev.infera.core.model.RopeType;

/**
 * The row-wise kernels of a transformer layer, over float arrays at offsets. Two implementations
 * share these signatures: {@link ScalarElementwiseOps}, the plain-loop reference, and
 * {@link SimdKernels#elementwise}, the Vector API version; tests run both on the same seeded inputs.
 *
 * <p>RoPE angle tables are "expanded": for each of the {@code ropeDim} rotated elements of a head,
 * {@code cos[j]} is the cosine of its pair's angle and {@code sin[j]} the sine signed for that element,
 * so element {@code j} becomes {@code x[j] * cos[j] + x[partner(j)] * sin[j]}. {@link #ropeTable}
 * builds them.
 */
public interface ElementwiseOps {

    /** {@code out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i]} for {@code i < n}; out may alias x. */
    void rmsNorm(float[] x, int xOffset, float[] weight, float eps, float[] out, int outOffset, int n);

    /**
     * Rotates the first {@code ropeDim} elements of each of {@code numHeads} consecutive heads of
     * {@code headDim} elements starting at {@code offset}, using expanded tables at {@code tableOffset}.
     */
    void rope(float[] x, int offset, int numHeads, int headDim, int ropeDim, RopeType type,
            float[] cos, float[] sin, int tableOffset);

    /** {@code gate[i] = silu(gate[i]) * up[i]}, where {@code silu(g) = g / (1 + exp(-g))}. */
    void siluMul(float[] gate, int gateOffset, float[] up, int upOffset, int n);

    /** In-place softmax of {@code x[offset .. offset + n)}. */
    void softmax(float[] x, int offset, int n);

    /** {@code dst[i] += src[i]} (residual connections, biases). */
    void add(float[] dst, int dstOffset, float[] src, int srcOffset, int n);

    /**
     * Writes one position's expanded RoPE tables ({@code ropeDim} entries each at {@code tableOffset})
     * from the pair cosines and sines ({@code ropeDim / 2} entries each).
     */
    static void ropeTable(RopeType type, float[] pairCos, float[] pairSin, float[] cos, float[] sin, int tableOffset) {
        int half = pairCos.length;
        for (int i = 0; i < half; i++) {
            int first = type == RopeType.NORM ? 2 * i : i;
            int second = type == RopeType.NORM ? 2 * i + 1 : i + half;
            cos[tableOffset + first] = pairCos[i];
            cos[tableOffset + second] = pairCos[i];
            sin[tableOffset + first] = -pairSin[i];
            sin[tableOffset + second] = pairSin[i];
        }
    }
}
