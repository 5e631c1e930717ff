package dev.infera.cpu.ops;

import dev.infera.core.model.RopeType;

/** The reference {@link ElementwiseOps}: plain loops, sums in double. Stateless and thread-safe. */
public final class ScalarElementwiseOps implements ElementwiseOps {

    @Override
    public void rmsNorm(float[] x, int xOffset, float[] weight, float eps, float[] out, int outOffset, int n) {
        double sumSquares = 0;
        for (int i = 0; i < n; i++) {
            double v = x[xOffset + i];
            sumSquares += v * v;
        }
        float scale = (float) (1.0 / Math.sqrt(sumSquares / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = weight[i] * (scale * x[xOffset + i]);
        }
    }

    @Override
    public void rope(float[] x, int offset, int numHeads, int headDim, int ropeDim, RopeType type,
            float[] cos, float[] sin, int tableOffset) {
        int half = ropeDim / 2;
        for (int h = 0; h < numHeads; h++) {
            int base = offset + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = type == RopeType.NORM ? 2 * i : i;
                int b = type == RopeType.NORM ? 2 * i + 1 : i + half;
                float xa = x[base + a];
                float xb = x[base + b];
                x[base + a] = xa * cos[tableOffset + a] + xb * sin[tableOffset + a];
                x[base + b] = xb * cos[tableOffset + b] + xa * sin[tableOffset + b];
            }
        }
    }

    @Override
    public void siluMul(float[] gate, int gateOffset, float[] up, int upOffset, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[gateOffset + i];
            gate[gateOffset + i] = (float) (g / (1.0 + Math.exp(-g))) * up[upOffset + i];
        }
    }

    @Override
    public void softmax(float[] x, int offset, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) {
            x[offset + i] *= inv;
        }
    }

    @Override
    public void add(float[] dst, int dstOffset, float[] src, int srcOffset, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] += src[srcOffset + i];
        }
    }
}
