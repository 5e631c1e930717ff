package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.FLOAT_LE;
import static dev.infera.cpu.kernels.BlockBits.LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}): batched products with the vector lanes running over
 * activation rows instead of columns, so no horizontal sums are needed.
 *
 * <p>The activations are packed once per call, transposed: for each column k, the values of a group
 * of activation rows lie next to each other, one vector per column. The weight rows stay as the row
 * decoders write them (row after row, no transposition); each weight element is broadcast to all
 * lanes and multiplied into the accumulators of its row: per column, one vector load feeds as many
 * FMAs as the tile has weight rows, and each accumulator ends up holding one output per lane.
 *
 * <p>Lane groups, with L = lanes per vector: a <em>wide</em> group holds 2L activation rows (two
 * vectors per column, tiles of 8 weight rows: 16 accumulators), a <em>single</em> group L rows (tiles of
 * 16 weight rows), a <em>pair</em> group L/2 rows with two consecutive columns per row in neighbouring
 * lanes (weights broadcast two floats at a time; the two partial sums are added at the end), so
 * small batches still fill a vector. A batch is cut into wide groups while more than L rows remain,
 * then one single or pair group for the rest; padding lanes hold zeros and their results are dropped.
 *
 * <p>Each output is a plain sum over the columns in order (pair groups: even and odd columns apart,
 * then added), in float.
 */
final class BroadcastTileKernels implements BatchKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int LANES = F.length();
    private static final VectorSpecies<Long> PAIRS = VectorSpecies.of(long.class, F.vectorShape());
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    BroadcastTileKernels() {
    }

    /** Activation rows in the group that starts with {@code remaining} rows left: 2L, L or L/2. */
    private static int groupRows(int remaining) {
        if (remaining > LANES) {
            return 2 * LANES;
        }
        return remaining > LANES / 2 ? LANES : LANES / 2;
    }

    @Override
    public long packedFloats(int batch, int ld) {
        long floats = 0;
        for (int b = 0; b < batch; ) {
            int g = groupRows(batch - b);
            floats += (long) g * ld;
            b += g;
        }
        return floats;
    }

    @Override
    public void pack(float[] x, int xOffset, int xStride, int batch, int cols, int ld, MemorySegment packed) {
        long bytes = 4 * packedFloats(batch, ld);
        FloatVector zero = FloatVector.zero(F);
        for (long at = 0; at < bytes; at += 4L * LANES) {
            zero.intoMemorySegment(packed, at, LE);
        }
        long base = 0;
        for (int b0 = 0; b0 < batch; ) {
            int g = groupRows(batch - b0);
            int n = Math.min(g, batch - b0);
            for (int bl = 0; bl < n; bl++) {
                int xo = xOffset + (b0 + bl) * xStride;
                if (g == LANES / 2) {
                    for (int k = 0; k < cols; k++) {
                        long at = base + (long) (k & ~1) * g + 2 * bl + (k & 1);
                        packed.set(FLOAT_LE, 4 * at, x[xo + k]);
                    }
                } else {
                    for (int k = 0; k < cols; k++) {
                        packed.set(FLOAT_LE, 4 * (base + (long) k * g + bl), x[xo + k]);
                    }
                }
            }
            base += (long) g * ld;
            b0 += g;
        }
    }

    @Override
    public void multiply(MemorySegment w, int numRows, int ld, MemorySegment packed, int batch,
            float[] y, int yOffset, int yStride, float[] scratch) {
        long rb = 4L * ld;
        long base = 0;
        for (int b0 = 0; b0 < batch; ) {
            int g = groupRows(batch - b0);
            int n = Math.min(g, batch - b0);
            int yo = yOffset + b0 * yStride;
            if (g == 2 * LANES) {
                for (int i0 = 0; i0 < numRows; i0 += 8) {
                    wide(w, i0 * rb, rb, packed, base, ld, scratch);
                    scatter(scratch, 2 * LANES, Math.min(8, numRows - i0), n, y, yo + i0, yStride);
                }
            } else if (g == LANES) {
                single(w, 0, rb, packed, base, ld, scratch);
                scatter(scratch, LANES, numRows, n, y, yo, yStride);
            } else {
                pair(w, 0, rb, packed, base, ld, scratch);
                scatterPairs(scratch, numRows, n, y, yo, yStride);
            }
            base += 4L * g * ld;
            b0 += g;
        }
    }

    /** {@code y[yo + b * ys + i] = out[i * rowFloats + b]}. */
    private static void scatter(float[] out, int rowFloats, int rows, int batch, float[] y, int yo, int ys) {
        for (int i = 0; i < rows; i++) {
            for (int b = 0; b < batch; b++) {
                y[yo + b * ys + i] = out[i * rowFloats + b];
            }
        }
    }

    /** Pair groups: lanes 2b and 2b + 1 of row i hold the even- and odd-column sums of activation row b. */
    private static void scatterPairs(float[] out, int rows, int batch, float[] y, int yo, int ys) {
        for (int i = 0; i < rows; i++) {
            for (int b = 0; b < batch; b++) {
                y[yo + b * ys + i] = out[i * LANES + 2 * b] + out[i * LANES + 2 * b + 1];
            }
        }
    }

    private static FloatVector load(MemorySegment s, long at) {
        return FloatVector.fromMemorySegment(F, s, at, LE);
    }

    /** 8 weight rows by 2 vectors of activation rows: per column 2 loads, 8 broadcasts, 16 FMAs. */
    private static void wide(MemorySegment w, long wo, long rb, MemorySegment xp, long xo, int ld, float[] out) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        long step = 8L * LANES;
        for (int k = 0; k < ld; k++) {
            long xk = xo + k * step;
            FloatVector x0 = load(xp, xk);
            FloatVector x1 = load(xp, xk + 4L * LANES);
            long wk = wo + 4L * k;
            FloatVector v = FloatVector.broadcast(F, w.get(FLOAT_LE, wk));
            a00 = v.fma(x0, a00);
            a01 = v.fma(x1, a01);
            v = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + rb));
            a10 = v.fma(x0, a10);
            a11 = v.fma(x1, a11);
            v = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 2 * rb));
            a20 = v.fma(x0, a20);
            a21 = v.fma(x1, a21);
            v = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 3 * rb));
            a30 = v.fma(x0, a30);
            a31 = v.fma(x1, a31);
            v = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 4 * rb));
            a40 = v.fma(x0, a40);
            a41 = v.fma(x1, a41);
            v = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 5 * rb));
            a50 = v.fma(x0, a50);
            a51 = v.fma(x1, a51);
            v = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 6 * rb));
            a60 = v.fma(x0, a60);
            a61 = v.fma(x1, a61);
            v = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 7 * rb));
            a70 = v.fma(x0, a70);
            a71 = v.fma(x1, a71);
        }
        a00.intoArray(out, 0 * LANES);
        a01.intoArray(out, 1 * LANES);
        a10.intoArray(out, 2 * LANES);
        a11.intoArray(out, 3 * LANES);
        a20.intoArray(out, 4 * LANES);
        a21.intoArray(out, 5 * LANES);
        a30.intoArray(out, 6 * LANES);
        a31.intoArray(out, 7 * LANES);
        a40.intoArray(out, 8 * LANES);
        a41.intoArray(out, 9 * LANES);
        a50.intoArray(out, 10 * LANES);
        a51.intoArray(out, 11 * LANES);
        a60.intoArray(out, 12 * LANES);
        a61.intoArray(out, 13 * LANES);
        a70.intoArray(out, 14 * LANES);
        a71.intoArray(out, 15 * LANES);
    }

    /** 16 weight rows by 1 vector of activation rows: per column 1 load, 16 broadcasts, 16 FMAs. */
    private static void single(MemorySegment w, long wo, long rb, MemorySegment xp, long xo, int ld, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        for (int k = 0; k < ld; k++) {
            FloatVector x = load(xp, xo + 4L * LANES * k);
            long wk = wo + 4L * k;
            a0 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk)).fma(x, a0);
            a1 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + rb)).fma(x, a1);
            a2 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 2 * rb)).fma(x, a2);
            a3 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 3 * rb)).fma(x, a3);
            a4 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 4 * rb)).fma(x, a4);
            a5 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 5 * rb)).fma(x, a5);
            a6 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 6 * rb)).fma(x, a6);
            a7 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 7 * rb)).fma(x, a7);
            a8 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 8 * rb)).fma(x, a8);
            a9 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 9 * rb)).fma(x, a9);
            a10 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 10 * rb)).fma(x, a10);
            a11 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 11 * rb)).fma(x, a11);
            a12 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 12 * rb)).fma(x, a12);
            a13 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 13 * rb)).fma(x, a13);
            a14 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 14 * rb)).fma(x, a14);
            a15 = FloatVector.broadcast(F, w.get(FLOAT_LE, wk + 15 * rb)).fma(x, a15);
        }
        a0.intoArray(out, 0 * LANES);
        a1.intoArray(out, 1 * LANES);
        a2.intoArray(out, 2 * LANES);
        a3.intoArray(out, 3 * LANES);
        a4.intoArray(out, 4 * LANES);
        a5.intoArray(out, 5 * LANES);
        a6.intoArray(out, 6 * LANES);
        a7.intoArray(out, 7 * LANES);
        a8.intoArray(out, 8 * LANES);
        a9.intoArray(out, 9 * LANES);
        a10.intoArray(out, 10 * LANES);
        a11.intoArray(out, 11 * LANES);
        a12.intoArray(out, 12 * LANES);
        a13.intoArray(out, 13 * LANES);
        a14.intoArray(out, 14 * LANES);
        a15.intoArray(out, 15 * LANES);
    }

    /** 16 weight rows by half a vector of activation rows, two columns per lane pair: per two columns 1 load, 16 two-float broadcasts, 16 FMAs. */
    private static void pair(MemorySegment w, long wo, long rb, MemorySegment xp, long xo, int ld, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        for (int k = 0; k < ld; k += 2) {
            FloatVector x = load(xp, xo + 2L * LANES * k);
            long wk = wo + 4L * k;
            a0 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk)).reinterpretAsFloats().fma(x, a0);
            a1 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + rb)).reinterpretAsFloats().fma(x, a1);
            a2 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 2 * rb)).reinterpretAsFloats().fma(x, a2);
            a3 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 3 * rb)).reinterpretAsFloats().fma(x, a3);
            a4 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 4 * rb)).reinterpretAsFloats().fma(x, a4);
            a5 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 5 * rb)).reinterpretAsFloats().fma(x, a5);
            a6 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 6 * rb)).reinterpretAsFloats().fma(x, a6);
            a7 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 7 * rb)).reinterpretAsFloats().fma(x, a7);
            a8 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 8 * rb)).reinterpretAsFloats().fma(x, a8);
            a9 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 9 * rb)).reinterpretAsFloats().fma(x, a9);
            a10 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 10 * rb)).reinterpretAsFloats().fma(x, a10);
            a11 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 11 * rb)).reinterpretAsFloats().fma(x, a11);
            a12 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 12 * rb)).reinterpretAsFloats().fma(x, a12);
            a13 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 13 * rb)).reinterpretAsFloats().fma(x, a13);
            a14 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 14 * rb)).reinterpretAsFloats().fma(x, a14);
            a15 = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 15 * rb)).reinterpretAsFloats().fma(x, a15);
        }
        a0.intoArray(out, 0 * LANES);
        a1.intoArray(out, 1 * LANES);
        a2.intoArray(out, 2 * LANES);
        a3.intoArray(out, 3 * LANES);
        a4.intoArray(out, 4 * LANES);
        a5.intoArray(out, 5 * LANES);
        a6.intoArray(out, 6 * LANES);
        a7.intoArray(out, 7 * LANES);
        a8.intoArray(out, 8 * LANES);
        a9.intoArray(out, 9 * LANES);
        a10.intoArray(out, 10 * LANES);
        a11.intoArray(out, 11 * LANES);
        a12.intoArray(out, 12 * LANES);
        a13.intoArray(out, 13 * LANES);
        a14.intoArray(out, 14 * LANES);
        a15.intoArray(out, 15 * LANES);
    }
}
