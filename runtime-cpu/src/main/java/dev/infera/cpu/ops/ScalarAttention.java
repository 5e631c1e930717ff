package dev.infera.cpu.ops;

import java.lang.foreign.MemorySegment;

/** The reference {@link AttentionKernel}: one head after another, plain loops, dot products in double. */
public final class ScalarAttention implements AttentionKernel {

    private final ElementwiseOps ops = new ScalarElementwiseOps();

    @Override
    public void attend(float[] q, int qOffset, int numHeads, PagedKvCache cache, int layer, int kvHead,
            int[] blockTable, int contextLen, float scale, float[] scores, float[] out, int outOffset) {
        int headDim = cache.headDim();
        for (int g = 0; g < numHeads; g++) {
            attendHead(q, qOffset + g * headDim, cache, layer, kvHead, blockTable, contextLen, scale, scores,
                    out, outOffset + g * headDim);
        }
    }

    private void attendHead(float[] q, int qOffset, PagedKvCache cache, int layer, int kvHead, int[] blockTable,
            int contextLen, float scale, float[] scores, float[] out, int outOffset) {
        MemorySegment kv = cache.memory();
        int headDim = cache.headDim();
        for (int j = 0; j < contextLen; j++) {
            long k = cache.keyOffset(layer, kvHead, blockTable, j);
            double dot = 0;
            for (int d = 0; d < headDim; d++) {
                dot += (double) q[qOffset + d] * kv.get(PagedKvCache.ELEMENT, k + (long) d * Float.BYTES);
            }
            scores[j] = (float) (dot * scale);
        }
        ops.softmax(scores, 0, contextLen);
        for (int d = 0; d < headDim; d++) {
            out[outOffset + d] = 0f;
        }
        for (int j = 0; j < contextLen; j++) {
            long v = cache.valueOffset(layer, kvHead, blockTable, j);
            float p = scores[j];
            for (int d = 0; d < headDim; d++) {
                out[outOffset + d] += p * kv.get(PagedKvCache.ELEMENT, v + (long) d * Float.BYTES);
            }
        }
    }
}
