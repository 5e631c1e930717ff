package dev.infera.cpu.ops;

import dev.infera.core.model.RopeType;
import dev.infera.cpu.kernels.SpeciesSpecializer;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template of the Vector API {@link ElementwiseOps} and {@link AttentionKernel}; only hidden copies
 * made by {@link SimdKernels} run, each with its species {@link #F} a constant. Loops use full vectors,
 * then a scalar tail for the last {@code n % F.length()} elements; sums use float lanes with
 * {@code fma}, so results differ from the double-summing references by rounding only.
 *
 * <p>Attention walks a sequence's context block by block (one block-table lookup per block; a KV
 * head's keys or values of one block form a contiguous tile of a few KB). Each tile is fetched from
 * memory once and used from L1 by every query head of the group: scores are vector dot products over
 * the head, and the value sum adds each tile's weighted rows into the output, one accumulator vector
 * per slice of the head.
 *
 * <p>C2 boxes every vector of a compiled method that holds too much vector work (its node budget is
 * spent before the small Vector API helpers are inlined). With scores, softmax and the value sum in
 * one method, decode allocated about 24 bytes per context position and spent most of its attention
 * time in the boxed fallback code. So attention runs as three phases reached through method handles
 * that are not JIT constants, which C2 cannot inline across: each phase compiles on its own with one
 * vector group per loop body, and the softmax it uses is a copy separate from {@link #softmax}, so
 * the two uses never share (and deoptimise) one compiled method.
 *
 * <p>Template rules (it is copied as raw bytes): no lambdas, nested classes or enum switches.
 */
final class VectorKernelTemplate implements ElementwiseOps, AttentionKernel {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromArray(F, swapPairIndices(), 0);
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int SCORES = 0;
    private static final int SOFTMAX = 1;
    private static final int VALUES = 2;
    /** Attention's phases; an array element is not a JIT constant, so each call is an inlining barrier. */
    private static final MethodHandle[] PHASES = attentionPhases();

    public VectorKernelTemplate() {
    }

    private static int[] swapPairIndices() {
        int[] idx = new int[L];
        for (int i = 0; i < L; i++) {
            idx[i] = i ^ 1;
        }
        return idx;
    }

    @Override
    public void rmsNorm(float[] x, int xOffset, float[] weight, float eps, float[] out, int outOffset, int n) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xOffset + i);
            acc = v.fma(v, acc);
        }
        float sumSquares = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sumSquares += x[xOffset + i] * x[xOffset + i];
        }
        float scale = (float) (1.0 / Math.sqrt(sumSquares / n + eps));
        for (i = 0; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xOffset + i).mul(scale);
            v.mul(FloatVector.fromArray(F, weight, i)).intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = weight[i] * (scale * x[xOffset + i]);
        }
    }

    @Override
    public void rope(float[] x, int offset, int numHeads, int headDim, int ropeDim, RopeType type,
            float[] cos, float[] sin, int tableOffset) {
        int half = ropeDim / 2;
        boolean adjacentPairs = type == RopeType.NORM;
        for (int h = 0; h < numHeads; h++) {
            int base = offset + h * headDim;
            if (adjacentPairs) {
                int bound = F.loopBound(ropeDim);
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector v = FloatVector.fromArray(F, x, base + j);
                    FloatVector c = FloatVector.fromArray(F, cos, tableOffset + j);
                    FloatVector s = FloatVector.fromArray(F, sin, tableOffset + j);
                    v.mul(c).add(v.rearrange(SWAP_PAIRS).mul(s)).intoArray(x, base + j);
                }
                for (; j < ropeDim; j += 2) {
                    rotate(x, base + j, base + j + 1, cos, sin, tableOffset + j, tableOffset + j + 1);
                }
            } else {
                int bound = F.loopBound(half);
                int i = 0;
                for (; i < bound; i += L) {
                    FloatVector lo = FloatVector.fromArray(F, x, base + i);
                    FloatVector hi = FloatVector.fromArray(F, x, base + i + half);
                    FloatVector cLo = FloatVector.fromArray(F, cos, tableOffset + i);
                    FloatVector sLo = FloatVector.fromArray(F, sin, tableOffset + i);
                    FloatVector cHi = FloatVector.fromArray(F, cos, tableOffset + i + half);
                    FloatVector sHi = FloatVector.fromArray(F, sin, tableOffset + i + half);
                    lo.mul(cLo).add(hi.mul(sLo)).intoArray(x, base + i);
                    hi.mul(cHi).add(lo.mul(sHi)).intoArray(x, base + i + half);
                }
                for (; i < half; i++) {
                    rotate(x, base + i, base + i + half, cos, sin, tableOffset + i, tableOffset + i + half);
                }
            }
        }
    }

    private static void rotate(float[] x, int a, int b, float[] cos, float[] sin, int ta, int tb) {
        float xa = x[a];
        float xb = x[b];
        x[a] = xa * cos[ta] + xb * sin[ta];
        x[b] = xb * cos[tb] + xa * sin[tb];
    }

    @Override
    public void siluMul(float[] gate, int gateOffset, float[] up, int upOffset, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, gateOffset + i);
            FloatVector u = FloatVector.fromArray(F, up, upOffset + i);
            FloatVector sigmoidDenominator = g.neg().lanewise(VectorOperators.EXP).add(1f);
            g.div(sigmoidDenominator).mul(u).intoArray(gate, gateOffset + i);
        }
        for (; i < n; i++) {
            float g = gate[gateOffset + i];
            gate[gateOffset + i] = g / (1f + (float) Math.exp(-g)) * up[upOffset + i];
        }
    }

    @Override
    public void softmax(float[] x, int offset, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        FloatVector maxV = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += L) {
            maxV = maxV.max(FloatVector.fromArray(F, x, offset + i));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        FloatVector sumV = FloatVector.zero(F);
        for (i = 0; i < bound; i += L) {
            FloatVector e = FloatVector.fromArray(F, x, offset + i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(x, offset + i);
            sumV = sumV.add(e);
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (i = 0; i < bound; i += L) {
            FloatVector.fromArray(F, x, offset + i).mul(inv).intoArray(x, offset + i);
        }
        for (; i < n; i++) {
            x[offset + i] *= inv;
        }
    }

    @Override
    public void add(float[] dst, int dstOffset, float[] src, int srcOffset, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, dst, dstOffset + i)
                    .add(FloatVector.fromArray(F, src, srcOffset + i))
                    .intoArray(dst, dstOffset + i);
        }
        for (; i < n; i++) {
            dst[dstOffset + i] += src[srcOffset + i];
        }
    }

    /**
     * Three phases, each its own compiled unit behind a handle (see the class comment): scores of every
     * query head over every block, softmax of each head's row, weighted sum of the value tiles.
     */
    @Override
    public void attend(float[] q, int qOffset, int numHeads, PagedKvCache cache, int layer, int kvHead,
            int[] blockTable, int contextLen, float scale, float[] scores, float[] out, int outOffset) {
        try {
            PHASES[SCORES].invokeExact(q, qOffset, numHeads, cache, layer, kvHead, blockTable, contextLen, scale,
                    scores);
            for (int g = 0; g < numHeads; g++) {
                PHASES[SOFTMAX].invokeExact(scores, g * contextLen, contextLen);
            }
            PHASES[VALUES].invokeExact(numHeads, cache, layer, kvHead, blockTable, contextLen, scores, out,
                    outOffset);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code scores[g * contextLen + j] = scale * q_g . K[j]}, block by block. */
    private static void attentionScores(float[] q, int qOffset, int numHeads, PagedKvCache cache, int layer,
            int kvHead, int[] blockTable, int contextLen, float scale, float[] scores) {
        MemorySegment kv = cache.memory();
        int headDim = cache.headDim();
        int blockSize = cache.blockSize();
        long rowBytes = (long) headDim * Float.BYTES;
        for (int start = 0, b = 0; start < contextLen; start += blockSize, b++) {
            long tile = cache.tile(layer, 0, blockTable[b], kvHead);
            int n = Math.min(blockSize, contextLen - start);
            for (int g = 0; g < numHeads; g++) {
                int qg = qOffset + g * headDim;
                int row = g * contextLen + start;
                for (int o = 0; o < n; o++) {
                    scores[row + o] = dotKey(q, qg, kv, tile + o * rowBytes, headDim) * scale;
                }
            }
        }
    }

    private static float dotKey(float[] q, int qOffset, MemorySegment kv, long key, int headDim) {
        int bound = F.loopBound(headDim);
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int d = 0;
        for (; d + L < bound; d += 2 * L) {
            long at = key + (long) d * Float.BYTES;
            acc0 = FloatVector.fromArray(F, q, qOffset + d).fma(FloatVector.fromMemorySegment(F, kv, at, ORDER), acc0);
            acc1 = FloatVector.fromArray(F, q, qOffset + d + L)
                    .fma(FloatVector.fromMemorySegment(F, kv, at + L * Float.BYTES, ORDER), acc1);
        }
        if (d < bound) {
            FloatVector k = FloatVector.fromMemorySegment(F, kv, key + (long) d * Float.BYTES, ORDER);
            acc0 = FloatVector.fromArray(F, q, qOffset + d).fma(k, acc0);
            d += L;
        }
        float dot = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; d < headDim; d++) {
            dot += q[qOffset + d] * kv.get(PagedKvCache.ELEMENT, key + (long) d * Float.BYTES);
        }
        return dot;
    }

    /** Softmax of one head's scores: the attention's own copy of {@link #softmax}, compiled apart from it. */
    private static void attentionSoftmax(float[] x, int offset, int n) {
        float max = rowMax(x, offset, n);
        float sum = expInPlace(x, offset, n, max);
        scaleInPlace(x, offset, n, 1f / sum);
    }

    private static float rowMax(float[] x, int offset, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        FloatVector maxV = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += L) {
            maxV = maxV.max(FloatVector.fromArray(F, x, offset + i));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        return max;
    }

    /** {@code x[i] = exp(x[i] - max)}; returns their sum. */
    private static float expInPlace(float[] x, int offset, int n, float max) {
        int bound = F.loopBound(n);
        int i = 0;
        FloatVector sumV = FloatVector.zero(F);
        for (; i < bound; i += L) {
            FloatVector e = FloatVector.fromArray(F, x, offset + i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(x, offset + i);
            sumV = sumV.add(e);
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        return sum;
    }

    private static void scaleInPlace(float[] x, int offset, int n, float factor) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, x, offset + i).mul(factor).intoArray(x, offset + i);
        }
        for (; i < n; i++) {
            x[offset + i] *= factor;
        }
    }

    /** {@code out_g = sum_j scores[g * contextLen + j] * V[j]}, block by block. */
    private static void attentionValues(int numHeads, PagedKvCache cache, int layer, int kvHead, int[] blockTable,
            int contextLen, float[] scores, float[] out, int outOffset) {
        MemorySegment kv = cache.memory();
        int headDim = cache.headDim();
        int blockSize = cache.blockSize();
        Arrays.fill(out, outOffset, outOffset + numHeads * headDim, 0f);
        for (int start = 0, b = 0; start < contextLen; start += blockSize, b++) {
            long tile = cache.tile(layer, 1, blockTable[b], kvHead);
            int n = Math.min(blockSize, contextLen - start);
            for (int g = 0; g < numHeads; g++) {
                addWeightedRows(kv, tile, n, headDim, scores, g * contextLen + start, out, outOffset + g * headDim);
            }
        }
    }

    /** {@code out[d] += sum_{o < n} weights[o] * V_o[d]} over one tile of {@code n} value rows. */
    private static void addWeightedRows(MemorySegment kv, long tile, int n, int headDim, float[] weights,
            int weightsOffset, float[] out, int outOffset) {
        long rowBytes = (long) headDim * Float.BYTES;
        int bound = F.loopBound(headDim);
        int d = 0;
        for (; d + L < bound; d += 2 * L) {
            long col = tile + (long) d * Float.BYTES;
            FloatVector acc0 = FloatVector.fromArray(F, out, outOffset + d);
            FloatVector acc1 = FloatVector.fromArray(F, out, outOffset + d + L);
            for (int o = 0; o < n; o++) {
                FloatVector w = FloatVector.broadcast(F, weights[weightsOffset + o]);
                long at = col + o * rowBytes;
                acc0 = FloatVector.fromMemorySegment(F, kv, at, ORDER).fma(w, acc0);
                acc1 = FloatVector.fromMemorySegment(F, kv, at + L * Float.BYTES, ORDER).fma(w, acc1);
            }
            acc0.intoArray(out, outOffset + d);
            acc1.intoArray(out, outOffset + d + L);
        }
        for (; d < bound; d += L) {
            long col = tile + (long) d * Float.BYTES;
            FloatVector acc = FloatVector.fromArray(F, out, outOffset + d);
            for (int o = 0; o < n; o++) {
                FloatVector v = FloatVector.fromMemorySegment(F, kv, col + o * rowBytes, ORDER);
                acc = v.fma(FloatVector.broadcast(F, weights[weightsOffset + o]), acc);
            }
            acc.intoArray(out, outOffset + d);
        }
        for (; d < headDim; d++) {
            long col = tile + (long) d * Float.BYTES;
            float sum = out[outOffset + d];
            for (int o = 0; o < n; o++) {
                sum += weights[weightsOffset + o] * kv.get(PagedKvCache.ELEMENT, col + o * rowBytes);
            }
            out[outOffset + d] = sum;
        }
    }

    private static MethodHandle[] attentionPhases() {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        Class<?> self = lookup.lookupClass();
        try {
            MethodHandle[] phases = new MethodHandle[3];
            phases[SCORES] = lookup.findStatic(self, "attentionScores", MethodType.methodType(void.class,
                    float[].class, int.class, int.class, PagedKvCache.class, int.class, int.class, int[].class,
                    int.class, float.class, float[].class));
            phases[SOFTMAX] = lookup.findStatic(self, "attentionSoftmax", MethodType.methodType(void.class,
                    float[].class, int.class, int.class));
            phases[VALUES] = lookup.findStatic(self, "attentionValues", MethodType.methodType(void.class,
                    int.class, PagedKvCache.class, int.class, int.class, int[].class, int.class, float[].class,
                    float[].class, int.class));
            return phases;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("attention phase missing from the kernel template", e);
        }
    }
}
