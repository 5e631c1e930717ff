package dev.infera.cpu.kernels;

import static dev.infera.cpu.kernels.BlockBits.FLOAT_LE;
import static dev.infera.cpu.kernels.BlockBits.LE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template (see {@link SpeciesSpecializer}): batched products with the vector lanes running over
 * activation rows instead of columns, so no horizontal sums are needed.
 *
 * <p>The activations are packed once per call, transposed: for each column, the values of a group of
 * activation rows lie next to each other. The weight rows stay as the row decoders write them (row
 * after row, no transposition); weight elements are broadcast to all lanes and multiplied into the
 * accumulators of their row, so each accumulator lane ends up holding one output.
 *
 * <p>A tile is 8 weight rows by 2 vectors (16 accumulators): per step, 2 activation loads and 8
 * broadcasts feed 16 FMAs. With L lanes per vector, a vector holds L/rep activation rows by rep
 * consecutive columns (rep 1, 2 or 4: small batches still fill whole vectors; the weights are then
 * broadcast rep floats at a time and the rep partial sums of an output are added at the end). Groups,
 * chosen by how many activation rows remain: 2L rows with rep 1 while more than 3L/2 remain, then L
 * rows with pairs while more than L/2 remain, then L/2 rows with quads. Padding lanes hold zeros; their results are dropped.
 *
 * <p>Summation order: each output is a plain float sum over its columns in order (rep partial sums,
 * then added), independent of the tile and of the other rows of the batch.
 */
final class BroadcastTileKernels implements BatchKernels {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int LANES = F.length();
    private static final VectorSpecies<Long> PAIRS = VectorSpecies.of(long.class, F.vectorShape());
    private static final VectorSpecies<Float> QUAD = FloatVector.SPECIES_128;
    private static final VectorShuffle<Float> REPEAT_QUADS = VectorShuffle.fromOp(F, i -> i & 3);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    private static final int TILE_ROWS = 8;
    private static final int VECTORS = 2;
    private static final int TILE_8X2 = 0;
    private static final int TILE_PAIRS = 1;
    private static final int TILE_QUADS = 2;
    /** Per tile kind: columns per lane group (1, 2 or 4). */
    private static final int[] REP = {1, 2, 4};

    BroadcastTileKernels() {
    }

    /**
     * The tile kind for the next group when {@code remaining} activation rows are left. Per column a
     * wide group (2L rows) costs one 8x2 step, a pair group (L rows) half of one, a quad group (L/2)
     * a quarter plus its shuffles: up to 3L/2 rows, a pair group and a quad group waste less than a
     * padded wide group (with 16 lanes, batch 17 ran 15% slower than the 4x4 dot tiles as one
     * padded wide group).
     */
    private static int kindFor(int remaining) {
        if (remaining > LANES + LANES / 2) {
            return TILE_8X2;
        }
        return remaining > LANES / 2 || LANES < 16 ? TILE_PAIRS : TILE_QUADS;
    }

    /** Activation rows a group of {@code kind} holds. */
    private static int groupRows(int kind) {
        return VECTORS * LANES / REP[kind];
    }

    @Override
    public long packedFloats(int batch, int ld) {
        long floats = 0;
        for (int b = 0; b < batch; ) {
            int g = groupRows(kindFor(batch - b));
            floats += (long) g * ld;
            b += g;
        }
        return floats;
    }

    @Override
    public void pack(float[] x, int xOffset, int xStride, int batch, int cols, int ld, int fromCol, int toCol,
            int[] lanes, MemorySegment packed) {
        pack(x, xOffset, xStride, batch, cols, ld, fromCol, toCol, lanes, packed, false);
    }

    @Override
    public void packWide(float[] x, int xOffset, int xStride, int batch, int cols, int ld, int fromCol, int toCol,
            int[] lanes, MemorySegment packed) {
        pack(x, xOffset, xStride, batch, cols, ld, fromCol, toCol, lanes, packed, true);
    }

    private void pack(float[] x, int xOffset, int xStride, int batch, int cols, int ld, int fromCol, int toCol,
            int[] lanes, MemorySegment packed, boolean wide) {
        long base = 0;
        FloatVector zero = FloatVector.zero(F);
        for (int b0 = 0; b0 < batch; ) {
            int kind = wide ? TILE_8X2 : kindFor(batch - b0);
            int g = groupRows(kind);
            int rep = REP[kind];
            int perVector = LANES / rep;
            int n = Math.min(g, batch - b0);
            for (int v = 0; v < VECTORS; v++) {
                int rowsHere = Math.max(0, Math.min(perVector, n - v * perVector));
                // Lane l reads activation row l / rep, column l % rep of the step; lanes of missing
                // rows point inside x (the gather checks every lane) and are masked off with 16
                // lanes. Below 16 (AVX2) C2 has no masked gather and boxes it, so they are gathered
                // too, with row 0's values: the tiles' sums of those lanes are never scattered
                // (scatter writes only the group's n rows).
                for (int l = 0; l < LANES; l++) {
                    lanes[l] = (l / rep < rowsHere ? (l / rep) * xStride : 0) + l % rep;
                }
                VectorMask<Float> live = F.indexInRange(0, rowsHere * rep);
                int xo = xOffset + (b0 + v * perVector) * xStride;
                long at = 4 * (base + (long) v * LANES);
                int k = fromCol;
                int full = Math.min(toCol, cols - cols % rep);
                if (rowsHere == 0) {
                    full = fromCol;
                }
                for (; k < full; k += rep) {
                    FloatVector gathered = LANES == 16 ? FloatVector.fromArray(F, x, xo + k, lanes, 0, live)
                            : FloatVector.fromArray(F, x, xo + k, lanes, 0);
                    gathered.intoMemorySegment(packed, at + 4L * k * VECTORS * LANES / rep, LE);
                }
                for (; k < toCol; k += rep) {
                    long to = at + 4L * k * VECTORS * LANES / rep;
                    zero.intoMemorySegment(packed, to, LE);
                    for (int bl = 0; bl < rowsHere; bl++) {
                        for (int j = 0; j < rep && k + j < cols; j++) {
                            packed.set(FLOAT_LE, to + 4L * (bl * rep + j), x[xo + bl * xStride + k + j]);
                        }
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
            int kind = kindFor(batch - b0);
            int g = groupRows(kind);
            int n = Math.min(g, batch - b0);
            int yo = yOffset + b0 * yStride;
            for (int i0 = 0; i0 < numRows; i0 += TILE_ROWS) {
                int at = i0 * VECTORS * LANES;
                if (LANES < 16) {
                    // Two 4-row halves: 16 accumulators and their operands need more than the 16
                    // registers of AVX2 (ymm0-15), and the spills halved the tiles' speed.
                    int half = TILE_ROWS / 2;
                    if (kind == TILE_8X2) {
                        rows4x2(w, i0 * rb, rb, packed, base, ld, scratch, at);
                        rows4x2(w, (i0 + half) * rb, rb, packed, base, ld, scratch, at + half * VECTORS * LANES);
                    } else {
                        pairs4x2(w, i0 * rb, rb, packed, base, ld, scratch, at);
                        pairs4x2(w, (i0 + half) * rb, rb, packed, base, ld, scratch, at + half * VECTORS * LANES);
                    }
                } else {
                    switch (kind) {
                        case TILE_8X2 -> rows8x2(w, i0 * rb, rb, packed, base, ld, scratch, at);
                        case TILE_PAIRS -> pairs8x2(w, i0 * rb, rb, packed, base, ld, scratch, at);
                        default -> quads8x2(w, i0 * rb, rb, packed, base, ld, scratch, at);
                    }
                }
            }
            scatter(scratch, REP[kind], numRows, n, y, yo, yStride);
            base += 4L * g * ld;
            b0 += g;
        }
    }

    /**
     * Moves the results of a block's tiles from {@code out} (row i's accumulators at floats
     * {@code i * 2L}; activation row b's rep partial sums at {@code b * rep} from there) to
     * {@code y[yo + b * ys + i]}, adding the partial sums. Activation row by activation row, so that
     * each output row's few cache lines are written whole and at once: written row by row instead,
     * the 2L lines of a tile, often a multiple of 4 KB apart, fought over a few L1 sets and the
     * scatter took as long as the tiles.
     */
    private static void scatter(float[] out, int rep, int rows, int batch, float[] y, int yo, int ys) {
        int rowFloats = VECTORS * LANES;
        for (int b = 0; b < batch; b++) {
            int yb = yo + b * ys;
            int at = b * rep;
            if (rep == 1) {
                for (int i = 0; i < rows; i++) {
                    y[yb + i] = out[at + i * rowFloats];
                }
            } else if (rep == 2) {
                for (int i = 0; i < rows; i++) {
                    y[yb + i] = out[at + i * rowFloats] + out[at + i * rowFloats + 1];
                }
            } else {
                for (int i = 0; i < rows; i++) {
                    int a = at + i * rowFloats;
                    y[yb + i] = (out[a] + out[a + 1]) + (out[a + 2] + out[a + 3]);
                }
            }
        }
    }

    private static FloatVector load(MemorySegment s, long at) {
        return FloatVector.fromMemorySegment(F, s, at, LE);
    }

    /** As {@link #rows8x2} for 4 weight rows (below 16 lanes): 8 accumulators. */
    private static void rows4x2(MemorySegment w, long wo, long rb, MemorySegment xp, long xo, int ld, float[] out, int outAt) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int k = 0; k < ld; k++) {
            long xk = xo + 8L * LANES * k;
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
        }
        a00.intoArray(out, outAt + 0 * LANES);
        a01.intoArray(out, outAt + 1 * LANES);
        a10.intoArray(out, outAt + 2 * LANES);
        a11.intoArray(out, outAt + 3 * LANES);
        a20.intoArray(out, outAt + 4 * LANES);
        a21.intoArray(out, outAt + 5 * LANES);
        a30.intoArray(out, outAt + 6 * LANES);
        a31.intoArray(out, outAt + 7 * LANES);
    }

    /** As {@link #pairs8x2} for 4 weight rows (below 16 lanes): 8 accumulators. */
    private static void pairs4x2(MemorySegment w, long wo, long rb, MemorySegment xp, long xo, int ld, float[] out, int outAt) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int k = 0; k < ld; k += 2) {
            long xk = xo + 8L * LANES * k / 2;
            FloatVector x0 = load(xp, xk);
            FloatVector x1 = load(xp, xk + 4L * LANES);
            long wk = wo + 4L * k;
            FloatVector v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk)).reinterpretAsFloats();
            a00 = v.fma(x0, a00);
            a01 = v.fma(x1, a01);
            v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + rb)).reinterpretAsFloats();
            a10 = v.fma(x0, a10);
            a11 = v.fma(x1, a11);
            v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 2 * rb)).reinterpretAsFloats();
            a20 = v.fma(x0, a20);
            a21 = v.fma(x1, a21);
            v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 3 * rb)).reinterpretAsFloats();
            a30 = v.fma(x0, a30);
            a31 = v.fma(x1, a31);
        }
        a00.intoArray(out, outAt + 0 * LANES);
        a01.intoArray(out, outAt + 1 * LANES);
        a10.intoArray(out, outAt + 2 * LANES);
        a11.intoArray(out, outAt + 3 * LANES);
        a20.intoArray(out, outAt + 4 * LANES);
        a21.intoArray(out, outAt + 5 * LANES);
        a30.intoArray(out, outAt + 6 * LANES);
        a31.intoArray(out, outAt + 7 * LANES);
    }

    /** 8 weight rows by 2 vectors of activation rows: per column 2 loads, 8 broadcasts, 16 FMAs. */
    private static void rows8x2(MemorySegment w, long wo, long rb, MemorySegment xp, long xo, int ld, float[] out, int outAt) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (int k = 0; k < ld; k++) {
            long xk = xo + 8L * LANES * k;
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
        a00.intoArray(out, outAt + 0 * LANES);
        a01.intoArray(out, outAt + 1 * LANES);
        a10.intoArray(out, outAt + 2 * LANES);
        a11.intoArray(out, outAt + 3 * LANES);
        a20.intoArray(out, outAt + 4 * LANES);
        a21.intoArray(out, outAt + 5 * LANES);
        a30.intoArray(out, outAt + 6 * LANES);
        a31.intoArray(out, outAt + 7 * LANES);
        a40.intoArray(out, outAt + 8 * LANES);
        a41.intoArray(out, outAt + 9 * LANES);
        a50.intoArray(out, outAt + 10 * LANES);
        a51.intoArray(out, outAt + 11 * LANES);
        a60.intoArray(out, outAt + 12 * LANES);
        a61.intoArray(out, outAt + 13 * LANES);
        a70.intoArray(out, outAt + 14 * LANES);
        a71.intoArray(out, outAt + 15 * LANES);
    }

    /** 8 weight rows by 2 vectors of activation rows with 2 columns each: per 2 columns 2 loads, 8 two-float broadcasts, 16 FMAs. */
    private static void pairs8x2(MemorySegment w, long wo, long rb, MemorySegment xp, long xo, int ld, float[] out, int outAt) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (int k = 0; k < ld; k += 2) {
            long xk = xo + 8L * LANES * k / 2;
            FloatVector x0 = load(xp, xk);
            FloatVector x1 = load(xp, xk + 4L * LANES);
            long wk = wo + 4L * k;
            FloatVector v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk)).reinterpretAsFloats();
            a00 = v.fma(x0, a00);
            a01 = v.fma(x1, a01);
            v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + rb)).reinterpretAsFloats();
            a10 = v.fma(x0, a10);
            a11 = v.fma(x1, a11);
            v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 2 * rb)).reinterpretAsFloats();
            a20 = v.fma(x0, a20);
            a21 = v.fma(x1, a21);
            v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 3 * rb)).reinterpretAsFloats();
            a30 = v.fma(x0, a30);
            a31 = v.fma(x1, a31);
            v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 4 * rb)).reinterpretAsFloats();
            a40 = v.fma(x0, a40);
            a41 = v.fma(x1, a41);
            v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 5 * rb)).reinterpretAsFloats();
            a50 = v.fma(x0, a50);
            a51 = v.fma(x1, a51);
            v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 6 * rb)).reinterpretAsFloats();
            a60 = v.fma(x0, a60);
            a61 = v.fma(x1, a61);
            v = LongVector.broadcast(PAIRS, w.get(LONG_LE, wk + 7 * rb)).reinterpretAsFloats();
            a70 = v.fma(x0, a70);
            a71 = v.fma(x1, a71);
        }
        a00.intoArray(out, outAt + 0 * LANES);
        a01.intoArray(out, outAt + 1 * LANES);
        a10.intoArray(out, outAt + 2 * LANES);
        a11.intoArray(out, outAt + 3 * LANES);
        a20.intoArray(out, outAt + 4 * LANES);
        a21.intoArray(out, outAt + 5 * LANES);
        a30.intoArray(out, outAt + 6 * LANES);
        a31.intoArray(out, outAt + 7 * LANES);
        a40.intoArray(out, outAt + 8 * LANES);
        a41.intoArray(out, outAt + 9 * LANES);
        a50.intoArray(out, outAt + 10 * LANES);
        a51.intoArray(out, outAt + 11 * LANES);
        a60.intoArray(out, outAt + 12 * LANES);
        a61.intoArray(out, outAt + 13 * LANES);
        a70.intoArray(out, outAt + 14 * LANES);
        a71.intoArray(out, outAt + 15 * LANES);
    }

    /** 8 weight rows by 2 vectors of activation rows with 4 columns each: per 4 columns 2 loads, 8 four-float broadcasts, 16 FMAs. */
    private static void quads8x2(MemorySegment w, long wo, long rb, MemorySegment xp, long xo, int ld, float[] out, int outAt) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (int k = 0; k < ld; k += 4) {
            long xk = xo + 8L * LANES * k / 4;
            FloatVector x0 = load(xp, xk);
            FloatVector x1 = load(xp, xk + 4L * LANES);
            long wk = wo + 4L * k;
            FloatVector v = ((FloatVector) FloatVector.fromMemorySegment(QUAD, w, wk, LE).reinterpretShape(F, 0)).rearrange(REPEAT_QUADS);
            a00 = v.fma(x0, a00);
            a01 = v.fma(x1, a01);
            v = ((FloatVector) FloatVector.fromMemorySegment(QUAD, w, wk + rb, LE).reinterpretShape(F, 0)).rearrange(REPEAT_QUADS);
            a10 = v.fma(x0, a10);
            a11 = v.fma(x1, a11);
            v = ((FloatVector) FloatVector.fromMemorySegment(QUAD, w, wk + 2 * rb, LE).reinterpretShape(F, 0)).rearrange(REPEAT_QUADS);
            a20 = v.fma(x0, a20);
            a21 = v.fma(x1, a21);
            v = ((FloatVector) FloatVector.fromMemorySegment(QUAD, w, wk + 3 * rb, LE).reinterpretShape(F, 0)).rearrange(REPEAT_QUADS);
            a30 = v.fma(x0, a30);
            a31 = v.fma(x1, a31);
            v = ((FloatVector) FloatVector.fromMemorySegment(QUAD, w, wk + 4 * rb, LE).reinterpretShape(F, 0)).rearrange(REPEAT_QUADS);
            a40 = v.fma(x0, a40);
            a41 = v.fma(x1, a41);
            v = ((FloatVector) FloatVector.fromMemorySegment(QUAD, w, wk + 5 * rb, LE).reinterpretShape(F, 0)).rearrange(REPEAT_QUADS);
            a50 = v.fma(x0, a50);
            a51 = v.fma(x1, a51);
            v = ((FloatVector) FloatVector.fromMemorySegment(QUAD, w, wk + 6 * rb, LE).reinterpretShape(F, 0)).rearrange(REPEAT_QUADS);
            a60 = v.fma(x0, a60);
            a61 = v.fma(x1, a61);
            v = ((FloatVector) FloatVector.fromMemorySegment(QUAD, w, wk + 7 * rb, LE).reinterpretShape(F, 0)).rearrange(REPEAT_QUADS);
            a70 = v.fma(x0, a70);
            a71 = v.fma(x1, a71);
        }
        a00.intoArray(out, outAt + 0 * LANES);
        a01.intoArray(out, outAt + 1 * LANES);
        a10.intoArray(out, outAt + 2 * LANES);
        a11.intoArray(out, outAt + 3 * LANES);
        a20.intoArray(out, outAt + 4 * LANES);
        a21.intoArray(out, outAt + 5 * LANES);
        a30.intoArray(out, outAt + 6 * LANES);
        a31.intoArray(out, outAt + 7 * LANES);
        a40.intoArray(out, outAt + 8 * LANES);
        a41.intoArray(out, outAt + 9 * LANES);
        a50.intoArray(out, outAt + 10 * LANES);
        a51.intoArray(out, outAt + 11 * LANES);
        a60.intoArray(out, outAt + 12 * LANES);
        a61.intoArray(out, outAt + 13 * LANES);
        a70.intoArray(out, outAt + 14 * LANES);
        a71.intoArray(out, outAt + 15 * LANES);
    }
}
