package dev.infera.cpu.ops;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API {@link AttentionKernel}. It walks the context block by block (one block-table lookup
 * per {@code blockSize} tokens, keys and values of a block contiguous per KV head). Scores are
 * vector dot products over the head; the value sum keeps one accumulator vector per slice of the head
 * and streams every context token through it, so the output is written once. Heads shorter than the
 * species fall back to narrower species or scalar code for the remainder.
 */
public final class SimdAttention implements AttentionKernel {

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private final VectorSpecies<Float> species;
    private final ElementwiseOps ops;

    public SimdAttention(VectorSpecies<Float> species) {
        this.species = species;
        this.ops = new SimdElementwiseOps(species);
    }

    @Override
    public void attendHead(float[] q, int qOffset, PagedKvCache cache, int layer, int kvHead, int[] blockTable,
            int contextLen, float scale, float[] scores, float[] out, int outOffset) {
        MemorySegment kv = cache.memory();
        int headDim = cache.headDim();
        int blockSize = cache.blockSize();
        int bound = species.loopBound(headDim);
        long rowBytes = (long) headDim * Float.BYTES;
        for (int start = 0, b = 0; start < contextLen; start += blockSize, b++) {
            long tile = cache.tile(layer, 0, blockTable[b], kvHead);
            int n = Math.min(blockSize, contextLen - start);
            for (int o = 0; o < n; o++) {
                long k = tile + o * rowBytes;
                FloatVector acc = FloatVector.zero(species);
                int d = 0;
                for (; d < bound; d += species.length()) {
                    FloatVector key = FloatVector.fromMemorySegment(species, kv, k + (long) d * Float.BYTES, ORDER);
                    acc = FloatVector.fromArray(species, q, qOffset + d).fma(key, acc);
                }
                float dot = acc.reduceLanes(VectorOperators.ADD);
                for (; d < headDim; d++) {
                    dot += q[qOffset + d] * kv.get(PagedKvCache.ELEMENT, k + (long) d * Float.BYTES);
                }
                scores[start + o] = dot * scale;
            }
        }
        ops.softmax(scores, 0, contextLen);
        for (int d = 0; d < bound; d += species.length()) {
            FloatVector acc = FloatVector.zero(species);
            long dBytes = (long) d * Float.BYTES;
            for (int start = 0, b = 0; start < contextLen; start += blockSize, b++) {
                long tile = cache.tile(layer, 1, blockTable[b], kvHead) + dBytes;
                int n = Math.min(blockSize, contextLen - start);
                for (int o = 0; o < n; o++) {
                    FloatVector v = FloatVector.fromMemorySegment(species, kv, tile + o * rowBytes, ORDER);
                    acc = v.fma(FloatVector.broadcast(species, scores[start + o]), acc);
                }
            }
            acc.intoArray(out, outOffset + d);
        }
        for (int d = bound; d < headDim; d++) {
            float sum = 0f;
            for (int start = 0, b = 0; start < contextLen; start += blockSize, b++) {
                long tile = cache.tile(layer, 1, blockTable[b], kvHead) + (long) d * Float.BYTES;
                int n = Math.min(blockSize, contextLen - start);
                for (int o = 0; o < n; o++) {
                    sum += scores[start + o] * kv.get(PagedKvCache.ELEMENT, tile + o * rowBytes);
                }
            }
            out[outOffset + d] = sum;
        }
    }
}
