package dev.infera.cpu.ops;

/**
 * The reference {@link AttentionKernel}: one row and head after another, plain loops over the cache's
 * element accessors, dot products in double.
 */
public final class ScalarAttention implements AttentionKernel {

    private final ElementwiseOps ops = new ScalarElementwiseOps();

    @Override
    public void attend(float[] q, int qOffset, int rowStride, int numRows, int numHeads, PagedKvCache cache,
            int layer, int kvHead, int[] blockTable, int firstContextLen, float scale, float[] scratch, float[] out,
            int outOffset) {
        int headDim = cache.headDim();
        for (int r = 0; r < numRows; r++) {
            for (int g = 0; g < numHeads; g++) {
                int at = r * rowStride + g * headDim;
                attendHead(q, qOffset + at, cache, layer, kvHead, blockTable, firstContextLen + r, scale, scratch,
                        out, outOffset + at);
            }
        }
    }

    private void attendHead(float[] q, int qOffset, PagedKvCache cache, int layer, int kvHead, int[] blockTable,
            int contextLen, float scale, float[] scores, float[] out, int outOffset) {
        int headDim = cache.headDim();
        for (int j = 0; j < contextLen; j++) {
            double dot = 0;
            for (int d = 0; d < headDim; d++) {
                dot += (double) q[qOffset + d] * cache.key(layer, kvHead, blockTable, j, d);
            }
            scores[j] = (float) (dot * scale);
        }
        ops.softmax(scores, 0, contextLen);
        for (int d = 0; d < headDim; d++) {
            out[outOffset + d] = 0f;
        }
        for (int j = 0; j < contextLen; j++) {
            float p = scores[j];
            for (int d = 0; d < headDim; d++) {
                out[outOffset + d] += p * cache.value(layer, kvHead, blockTable, j, d);
            }
        }
    }
}
