package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.LE;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}): dense float products of a few decoded weight rows with a
 * batch of activation rows, both in 64-byte-aligned native buffers (a 512-bit load that straddles two
 * cache lines costs twice; heap float arrays are only 8-byte aligned, which measured half the
 * throughput). The main tile takes 4 weight rows by 4 activation rows: each step loads 4 + 4 vectors
 * and issues 16 FMAs into 16 register accumulators, so the loop is bound by FMA throughput. Edges
 * use 1x4, 4x1 and 1x1 tiles. Rows are zero-padded to a multiple of 16 floats: no scalar tails.
 */
final class DenseTileKernels implements DenseKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();

    DenseTileKernels() {
    }

    @Override
    public void denseTile(MemorySegment w, int numRows, MemorySegment x, int batch, int ld,
            float[] y, int yOffset, int yStride) {
        long rowBytes = 4L * ld;
        int b = 0;
        for (; b + 4 <= batch; b += 4) {
            int yo = yOffset + b * yStride;
            int i = 0;
            for (; i + 4 <= numRows; i += 4) {
                tile4x4(w, i * rowBytes, x, b * rowBytes, rowBytes, y, yo + i, yStride);
            }
            for (; i < numRows; i++) {
                tile1x4(w, i * rowBytes, x, b * rowBytes, rowBytes, y, yo + i, yStride);
            }
        }
        for (; b < batch; b++) {
            int yo = yOffset + b * yStride;
            int i = 0;
            for (; i + 4 <= numRows; i += 4) {
                tile4x1(w, i * rowBytes, x, b * rowBytes, rowBytes, y, yo + i);
            }
            for (; i < numRows; i++) {
                y[yo + i] = dot(w, i * rowBytes, x, b * rowBytes, rowBytes);
            }
        }
    }

    private static FloatVector load(MemorySegment s, long at) {
        return FloatVector.fromMemorySegment(F, s, at, LE);
    }

    private static float sum(FloatVector v) {
        return v.reduceLanes(VectorOperators.ADD);
    }

    private static void tile4x4(MemorySegment w, long wo, MemorySegment x, long xo, long rb,
            float[] y, int yo, int ys) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (long c = 0; c < rb; c += 4L * L) {
            FloatVector v0 = load(w, wo + c);
            FloatVector v1 = load(w, wo + rb + c);
            FloatVector v2 = load(w, wo + 2 * rb + c);
            FloatVector v3 = load(w, wo + 3 * rb + c);
            FloatVector u = load(x, xo + c);
            a00 = v0.fma(u, a00);
            a10 = v1.fma(u, a10);
            a20 = v2.fma(u, a20);
            a30 = v3.fma(u, a30);
            u = load(x, xo + rb + c);
            a01 = v0.fma(u, a01);
            a11 = v1.fma(u, a11);
            a21 = v2.fma(u, a21);
            a31 = v3.fma(u, a31);
            u = load(x, xo + 2 * rb + c);
            a02 = v0.fma(u, a02);
            a12 = v1.fma(u, a12);
            a22 = v2.fma(u, a22);
            a32 = v3.fma(u, a32);
            u = load(x, xo + 3 * rb + c);
            a03 = v0.fma(u, a03);
            a13 = v1.fma(u, a13);
            a23 = v2.fma(u, a23);
            a33 = v3.fma(u, a33);
        }
        y[yo] = sum(a00);
        y[yo + 1] = sum(a10);
        y[yo + 2] = sum(a20);
        y[yo + 3] = sum(a30);
        y[yo + ys] = sum(a01);
        y[yo + ys + 1] = sum(a11);
        y[yo + ys + 2] = sum(a21);
        y[yo + ys + 3] = sum(a31);
        y[yo + 2 * ys] = sum(a02);
        y[yo + 2 * ys + 1] = sum(a12);
        y[yo + 2 * ys + 2] = sum(a22);
        y[yo + 2 * ys + 3] = sum(a32);
        y[yo + 3 * ys] = sum(a03);
        y[yo + 3 * ys + 1] = sum(a13);
        y[yo + 3 * ys + 2] = sum(a23);
        y[yo + 3 * ys + 3] = sum(a33);
    }

    private static void tile1x4(MemorySegment w, long wo, MemorySegment x, long xo, long rb,
            float[] y, int yo, int ys) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (long c = 0; c < rb; c += 4L * L) {
            FloatVector v = load(w, wo + c);
            a0 = v.fma(load(x, xo + c), a0);
            a1 = v.fma(load(x, xo + rb + c), a1);
            a2 = v.fma(load(x, xo + 2 * rb + c), a2);
            a3 = v.fma(load(x, xo + 3 * rb + c), a3);
        }
        y[yo] = sum(a0);
        y[yo + ys] = sum(a1);
        y[yo + 2 * ys] = sum(a2);
        y[yo + 3 * ys] = sum(a3);
    }

    private static void tile4x1(MemorySegment w, long wo, MemorySegment x, long xo, long rb, float[] y, int yo) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (long c = 0; c < rb; c += 4L * L) {
            FloatVector u = load(x, xo + c);
            a0 = load(w, wo + c).fma(u, a0);
            a1 = load(w, wo + rb + c).fma(u, a1);
            a2 = load(w, wo + 2 * rb + c).fma(u, a2);
            a3 = load(w, wo + 3 * rb + c).fma(u, a3);
        }
        y[yo] = sum(a0);
        y[yo + 1] = sum(a1);
        y[yo + 2] = sum(a2);
        y[yo + 3] = sum(a3);
    }

    private static float dot(MemorySegment w, long wo, MemorySegment x, long xo, long rb) {
        FloatVector a = FloatVector.zero(F);
        for (long c = 0; c < rb; c += 4L * L) {
            a = load(w, wo + c).fma(load(x, xo + c), a);
        }
        return sum(a);
    }
}
