package dev.infera.cpu.kernels;

import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}): dense float products of a few decoded weight rows with a
 * batch of activation rows. The main tile takes 4 weight rows by 4 activation rows: each step loads 4
 * weight vectors and 4 activation vectors and issues 16 FMAs into 16 register accumulators, so every
 * loaded vector is used four times and the loop is bound by FMA throughput. Edges use 4x1, 1x4 and
 * 1x1 tiles; columns past the last full vector are summed in scalar code.
 */
final class DenseTileKernels implements DenseKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();

    DenseTileKernels() {
    }

    @Override
    public void denseTile(float[] w, int numRows, int cols, float[] x, int xOffset, int xStride, int batch,
            float[] y, int yOffset, int yStride) {
        int b = 0;
        for (; b + 4 <= batch; b += 4) {
            int xo = xOffset + b * xStride;
            int yo = yOffset + b * yStride;
            int i = 0;
            for (; i + 4 <= numRows; i += 4) {
                tile4x4(w, i * cols, cols, x, xo, xStride, y, yo + i, yStride);
            }
            for (; i < numRows; i++) {
                tile1x4(w, i * cols, cols, x, xo, xStride, y, yo + i, yStride);
            }
        }
        for (; b < batch; b++) {
            int xo = xOffset + b * xStride;
            int yo = yOffset + b * yStride;
            int i = 0;
            for (; i + 4 <= numRows; i += 4) {
                tile4x1(w, i * cols, cols, x, xo, y, yo + i);
            }
            for (; i < numRows; i++) {
                y[yo + i] = dot(w, i * cols, x, xo, cols);
            }
        }
    }

    private static float sum(FloatVector v) {
        return v.reduceLanes(VectorOperators.ADD);
    }

    private static float scalarDot(float[] w, int wo, float[] x, int xo, int from, int to) {
        float s = 0;
        for (int c = from; c < to; c++) {
            s += w[wo + c] * x[xo + c];
        }
        return s;
    }

    private static void tile4x4(float[] w, int wo, int cols, float[] x, int xo, int xs, float[] y, int yo, int ys) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int w1 = wo + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int c = 0;
        for (; c <= cols - L; c += L) {
            FloatVector v0 = FloatVector.fromArray(F, w, wo + c);
            FloatVector v1 = FloatVector.fromArray(F, w, w1 + c);
            FloatVector v2 = FloatVector.fromArray(F, w, w2 + c);
            FloatVector v3 = FloatVector.fromArray(F, w, w3 + c);
            FloatVector u = FloatVector.fromArray(F, x, xo + c);
            a00 = v0.fma(u, a00);
            a10 = v1.fma(u, a10);
            a20 = v2.fma(u, a20);
            a30 = v3.fma(u, a30);
            u = FloatVector.fromArray(F, x, xo + xs + c);
            a01 = v0.fma(u, a01);
            a11 = v1.fma(u, a11);
            a21 = v2.fma(u, a21);
            a31 = v3.fma(u, a31);
            u = FloatVector.fromArray(F, x, xo + 2 * xs + c);
            a02 = v0.fma(u, a02);
            a12 = v1.fma(u, a12);
            a22 = v2.fma(u, a22);
            a32 = v3.fma(u, a32);
            u = FloatVector.fromArray(F, x, xo + 3 * xs + c);
            a03 = v0.fma(u, a03);
            a13 = v1.fma(u, a13);
            a23 = v2.fma(u, a23);
            a33 = v3.fma(u, a33);
        }
        y[yo] = sum(a00) + scalarDot(w, wo, x, xo, c, cols);
        y[yo + 1] = sum(a10) + scalarDot(w, w1, x, xo, c, cols);
        y[yo + 2] = sum(a20) + scalarDot(w, w2, x, xo, c, cols);
        y[yo + 3] = sum(a30) + scalarDot(w, w3, x, xo, c, cols);
        y[yo + ys] = sum(a01) + scalarDot(w, wo, x, xo + xs, c, cols);
        y[yo + ys + 1] = sum(a11) + scalarDot(w, w1, x, xo + xs, c, cols);
        y[yo + ys + 2] = sum(a21) + scalarDot(w, w2, x, xo + xs, c, cols);
        y[yo + ys + 3] = sum(a31) + scalarDot(w, w3, x, xo + xs, c, cols);
        y[yo + 2 * ys] = sum(a02) + scalarDot(w, wo, x, xo + 2 * xs, c, cols);
        y[yo + 2 * ys + 1] = sum(a12) + scalarDot(w, w1, x, xo + 2 * xs, c, cols);
        y[yo + 2 * ys + 2] = sum(a22) + scalarDot(w, w2, x, xo + 2 * xs, c, cols);
        y[yo + 2 * ys + 3] = sum(a32) + scalarDot(w, w3, x, xo + 2 * xs, c, cols);
        y[yo + 3 * ys] = sum(a03) + scalarDot(w, wo, x, xo + 3 * xs, c, cols);
        y[yo + 3 * ys + 1] = sum(a13) + scalarDot(w, w1, x, xo + 3 * xs, c, cols);
        y[yo + 3 * ys + 2] = sum(a23) + scalarDot(w, w2, x, xo + 3 * xs, c, cols);
        y[yo + 3 * ys + 3] = sum(a33) + scalarDot(w, w3, x, xo + 3 * xs, c, cols);
    }

    private static void tile1x4(float[] w, int wo, int cols, float[] x, int xo, int xs, float[] y, int yo, int ys) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (; c <= cols - L; c += L) {
            FloatVector v = FloatVector.fromArray(F, w, wo + c);
            a0 = v.fma(FloatVector.fromArray(F, x, xo + c), a0);
            a1 = v.fma(FloatVector.fromArray(F, x, xo + xs + c), a1);
            a2 = v.fma(FloatVector.fromArray(F, x, xo + 2 * xs + c), a2);
            a3 = v.fma(FloatVector.fromArray(F, x, xo + 3 * xs + c), a3);
        }
        y[yo] = sum(a0) + scalarDot(w, wo, x, xo, c, cols);
        y[yo + ys] = sum(a1) + scalarDot(w, wo, x, xo + xs, c, cols);
        y[yo + 2 * ys] = sum(a2) + scalarDot(w, wo, x, xo + 2 * xs, c, cols);
        y[yo + 3 * ys] = sum(a3) + scalarDot(w, wo, x, xo + 3 * xs, c, cols);
    }

    private static void tile4x1(float[] w, int wo, int cols, float[] x, int xo, float[] y, int yo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int w1 = wo + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int c = 0;
        for (; c <= cols - L; c += L) {
            FloatVector u = FloatVector.fromArray(F, x, xo + c);
            a0 = FloatVector.fromArray(F, w, wo + c).fma(u, a0);
            a1 = FloatVector.fromArray(F, w, w1 + c).fma(u, a1);
            a2 = FloatVector.fromArray(F, w, w2 + c).fma(u, a2);
            a3 = FloatVector.fromArray(F, w, w3 + c).fma(u, a3);
        }
        y[yo] = sum(a0) + scalarDot(w, wo, x, xo, c, cols);
        y[yo + 1] = sum(a1) + scalarDot(w, w1, x, xo, c, cols);
        y[yo + 2] = sum(a2) + scalarDot(w, w2, x, xo, c, cols);
        y[yo + 3] = sum(a3) + scalarDot(w, w3, x, xo, c, cols);
    }

    private static float dot(float[] w, int wo, float[] x, int xo, int cols) {
        FloatVector a = FloatVector.zero(F);
        int c = 0;
        for (; c <= cols - L; c += L) {
            a = FloatVector.fromArray(F, w, wo + c).fma(FloatVector.fromArray(F, x, xo + c), a);
        }
        return sum(a) + scalarDot(w, wo, x, xo, c, cols);
    }
}
