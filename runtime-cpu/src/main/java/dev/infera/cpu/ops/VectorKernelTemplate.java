package dev.infera.cpu.ops;

import dev.infera.core.model.RopeType;
import dev.infera.cpu.kernels.SpeciesSpecializer;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template of the Vector API {@link ElementwiseOps}; only hidden copies made by {@link SimdKernels}
 * run, each with its species {@link #F} a constant. Loops use full vectors, then a scalar tail for the
 * last {@code n % F.length()} elements; sums use float lanes with {@code fma}, so results differ from
 * the double-summing references by rounding only. (Attention has its own template,
 * {@code AttentionTemplate}.)
 *
 * <p>Template rules (it is copied as raw bytes): no lambdas, nested classes or enum switches.
 */
final class VectorKernelTemplate implements ElementwiseOps {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromArray(F, swapPairIndices(), 0);

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
}
