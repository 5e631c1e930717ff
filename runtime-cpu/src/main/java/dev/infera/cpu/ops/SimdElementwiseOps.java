package dev.infera.cpu.ops;

import dev.infera.core.model.RopeType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ElementwiseOps} on the Vector API: full vectors of the species chosen by the backend, then a
 * scalar tail for the last {@code n % length} elements. Sums use float lanes ({@code fma}), so results
 * differ from the double-summing reference by rounding only. Stateless and thread-safe.
 */
public final class SimdElementwiseOps implements ElementwiseOps {

    private final VectorSpecies<Float> species;
    private final VectorShuffle<Float> swapPairs;

    public SimdElementwiseOps(VectorSpecies<Float> species) {
        if (species.length() < 2) {
            throw new IllegalArgumentException("species " + species + " has fewer than 2 float lanes");
        }
        this.species = species;
        this.swapPairs = VectorShuffle.fromOp(species, i -> i ^ 1);
    }

    @Override
    public void rmsNorm(float[] x, int xOffset, float[] weight, float eps, float[] out, int outOffset, int n) {
        int bound = species.loopBound(n);
        FloatVector acc = FloatVector.zero(species);
        int i = 0;
        for (; i < bound; i += species.length()) {
            FloatVector v = FloatVector.fromArray(species, x, xOffset + i);
            acc = v.fma(v, acc);
        }
        float sumSquares = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sumSquares += x[xOffset + i] * x[xOffset + i];
        }
        float scale = (float) (1.0 / Math.sqrt(sumSquares / n + eps));
        for (i = 0; i < bound; i += species.length()) {
            FloatVector v = FloatVector.fromArray(species, x, xOffset + i).mul(scale);
            v.mul(FloatVector.fromArray(species, weight, i)).intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = weight[i] * (scale * x[xOffset + i]);
        }
    }

    @Override
    public void rope(float[] x, int offset, int numHeads, int headDim, int ropeDim, RopeType type,
            float[] cos, float[] sin, int tableOffset) {
        int half = ropeDim / 2;
        for (int h = 0; h < numHeads; h++) {
            int base = offset + h * headDim;
            if (type == RopeType.NORM) {
                int bound = species.loopBound(ropeDim);
                int j = 0;
                for (; j < bound; j += species.length()) {
                    FloatVector v = FloatVector.fromArray(species, x, base + j);
                    FloatVector c = FloatVector.fromArray(species, cos, tableOffset + j);
                    FloatVector s = FloatVector.fromArray(species, sin, tableOffset + j);
                    v.mul(c).add(v.rearrange(swapPairs).mul(s)).intoArray(x, base + j);
                }
                for (; j < ropeDim; j += 2) {
                    rotate(x, base + j, base + j + 1, cos, sin, tableOffset + j, tableOffset + j + 1);
                }
            } else {
                int bound = species.loopBound(half);
                int i = 0;
                for (; i < bound; i += species.length()) {
                    FloatVector lo = FloatVector.fromArray(species, x, base + i);
                    FloatVector hi = FloatVector.fromArray(species, x, base + i + half);
                    FloatVector cLo = FloatVector.fromArray(species, cos, tableOffset + i);
                    FloatVector sLo = FloatVector.fromArray(species, sin, tableOffset + i);
                    FloatVector cHi = FloatVector.fromArray(species, cos, tableOffset + i + half);
                    FloatVector sHi = FloatVector.fromArray(species, sin, tableOffset + i + half);
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
        int bound = species.loopBound(n);
        int i = 0;
        for (; i < bound; i += species.length()) {
            FloatVector g = FloatVector.fromArray(species, gate, gateOffset + i);
            FloatVector u = FloatVector.fromArray(species, up, upOffset + i);
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
        int bound = species.loopBound(n);
        int i = 0;
        FloatVector maxV = FloatVector.broadcast(species, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += species.length()) {
            maxV = maxV.max(FloatVector.fromArray(species, x, offset + i));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        FloatVector sumV = FloatVector.zero(species);
        for (i = 0; i < bound; i += species.length()) {
            FloatVector e = FloatVector.fromArray(species, x, offset + i).sub(max).lanewise(VectorOperators.EXP);
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
        for (i = 0; i < bound; i += species.length()) {
            FloatVector.fromArray(species, x, offset + i).mul(inv).intoArray(x, offset + i);
        }
        for (; i < n; i++) {
            x[offset + i] *= inv;
        }
    }

    @Override
    public void add(float[] dst, int dstOffset, float[] src, int srcOffset, int n) {
        int bound = species.loopBound(n);
        int i = 0;
        for (; i < bound; i += species.length()) {
            FloatVector.fromArray(species, dst, dstOffset + i)
                    .add(FloatVector.fromArray(species, src, srcOffset + i))
                    .intoArray(dst, dstOffset + i);
        }
        for (; i < n; i++) {
            dst[dstOffset + i] += src[srcOffset + i];
        }
    }
}
