package dev.infera.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q8_0 weights regrouped for 16-lane vectors ({@link WeightMatrix.Layout#Q8_0_GROUPS}), and the
 * products that read them.
 *
 * <p>Layout. Rows are taken 16 at a time (the last group padded with zero rows). For each group and
 * each 32-column block: the 16 rows' scales as F32 (64 bytes; GGUF stores them as F16, widened
 * exactly), then for each of the 32 columns the 16 rows' int8 quants (16 bytes). A group is
 * {@code cols / 32 * 576} bytes, 6% more than the same rows in GGML's layout (34 bytes per block and
 * row). Element {@code (r, c)} is {@code q * d} as in GGML, so every weight decodes to the same float.
 *
 * <p>Why. One 16-byte load widened to 16 floats and multiplied by the block's scales is one weight
 * per output row of the group, for one column: a vector over output rows. Multiplied into a
 * broadcast activation it accumulates 16 outputs at once, so a pass keeps one accumulator per
 * activation row (up to 24) and needs neither horizontal sums nor a decoded copy of the weights. The
 * weights stream in once per pass, in order, while the FMAs run: the row layout instead decoded 16
 * rows into a buffer before each tile, and that decoding stalled on memory (see docs/performance.md,
 * item 15). A group's bytes are one sequential run, which the hardware prefetchers follow.
 *
 * <p>Activations. Batch 1 reads its row as it is. Larger batches are packed transposed in groups of
 * {@value #PACK_ROWS} rows ({@link BatchKernels#packWide}): float {@code k * 32 + r} of a group is
 * column k of its row r, zero for rows past the batch. Each group runs in passes of 24, 16, 8 or 4
 * rows (24 + 8 for a full group), one weight vector decoded per column and pass.
 *
 * <p>Summation order: per output, batch 1 sums each 32-column block in four interleaved partial sums
 * (columns k mod 4, added pairwise), then adds {@code block * d}; batches sum
 * {@code (q * d) * x} column by column. Both are float sums over the same products; they differ from
 * each other and from the row kernels within float rounding. 16-lane species only (the constant
 * {@link #F}); {@link SimdMatMul} routes other species through the scalar decoder.
 */
final class Q8_0Groups {

    static final int GROUP_ROWS = 16;
    /** Rows per packed activation group. */
    static final int PACK_ROWS = 32;
    private static final int SCALE_BYTES = 4 * GROUP_ROWS;
    /** Bytes of one 32-column block of a group: the scales and 32 x 16 quants. */
    static final int BLOCK_BYTES = SCALE_BYTES + 32 * GROUP_ROWS;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    /** One column of a group (16 quants). */
    private static final VectorSpecies<Byte> Q = ByteVector.SPECIES_128;
    /** Four columns of a group (64 quants), for batch 1. */
    private static final VectorSpecies<Byte> FOUR_COLUMNS = ByteVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final int Q8_0_BLOCK = 34;

    private Q8_0Groups() {
    }

    /** Bytes of one group of 16 rows of {@code cols} columns. */
    static long groupBytes(int cols) {
        return (long) (cols / 32) * BLOCK_BYTES;
    }

    /** Bytes a {@code rows x cols} matrix takes in this layout. */
    static long byteSize(int rows, int cols) {
        return (long) ((rows + GROUP_ROWS - 1) / GROUP_ROWS) * groupBytes(cols);
    }

    /**
     * Writes the {@code rows x cols} Q8_0 matrix at {@code src} (GGML row layout) into {@code dst}
     * ({@link #byteSize} bytes) in this layout.
     */
    static void regroup(MemorySegment src, int rows, int cols, MemorySegment dst) {
        long rowBytes = (long) (cols / 32) * Q8_0_BLOCK;
        byte[] block = new byte[Q8_0_BLOCK];
        byte[] quants = new byte[32 * GROUP_ROWS];
        long o = 0;
        for (int g = 0; g < rows; g += GROUP_ROWS) {
            for (int b = 0; b < cols / 32; b++) {
                for (int r = 0; r < GROUP_ROWS; r++) {
                    if (g + r < rows) {
                        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, (g + r) * rowBytes + (long) b * Q8_0_BLOCK,
                                block, 0, Q8_0_BLOCK);
                    } else {
                        Arrays.fill(block, (byte) 0);
                    }
                    short d = (short) ((block[0] & 0xFF) | block[1] << 8);
                    dst.set(FLOAT_LE, o + 4L * r, Float.float16ToFloat(d));
                    for (int k = 0; k < 32; k++) {
                        quants[k * GROUP_ROWS + r] = block[2 + k];
                    }
                }
                MemorySegment.copy(quants, 0, dst, ValueLayout.JAVA_BYTE, o + SCALE_BYTES, quants.length);
                o += BLOCK_BYTES;
            }
        }
    }

    /** Row {@code row} of the matrix at {@code data} decoded into {@code dst[at ... at + cols)}. */
    static void dequantizeRow(MemorySegment data, int cols, int row, float[] dst, int at) {
        long base = (row / GROUP_ROWS) * groupBytes(cols);
        int r = row % GROUP_ROWS;
        for (int b = 0; b < cols / 32; b++) {
            long block = base + (long) b * BLOCK_BYTES;
            float d = data.get(FLOAT_LE, block + 4L * r);
            for (int k = 0; k < 32; k++) {
                dst[at + b * 32 + k] = data.get(ValueLayout.JAVA_BYTE, block + SCALE_BYTES + (long) k * GROUP_ROWS + r) * d;
            }
        }
    }

    /**
     * Batch 1: the 16 outputs of the group at byte {@code go} for the activation row at {@code x[xo]},
     * into {@code y[yo ... yo + 16)}. Four columns per step from one 64-byte load, into four partial
     * sums per block (independent FMA chains).
     */
    static void single(MemorySegment w, long go, int cols, float[] x, int xo, float[] y, int yo) {
        FloatVector acc = FloatVector.zero(F);
        long off = go;
        int k = xo;
        for (int c = 0; c < cols; c += 32) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            off += SCALE_BYTES;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            for (int j = 0; j < 32; j += 4, k += 4, off += 4 * GROUP_ROWS) {
                ByteVector q = ByteVector.fromMemorySegment(FOUR_COLUMNS, w, off, LE);
                s0 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[k]), s0);
                s1 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.broadcast(F, x[k + 1]), s1);
                s2 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 2)).fma(FloatVector.broadcast(F, x[k + 2]), s2);
                s3 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 3)).fma(FloatVector.broadcast(F, x[k + 3]), s3);
            }
            acc = s0.add(s1).add(s2.add(s3)).fma(d, acc);
        }
        acc.intoArray(y, yo);
    }

    /**
     * The 16 outputs of the group at byte {@code go} for the {@code batch} activation rows packed at
     * {@code p[pAt]} ({@code ld} columns per packed group): output row {@code b} goes to
     * {@code y[yo + b * ys ... + 16)}. Each packed group runs in passes of 24 + 8 rows when full, else
     * in one pass of the smallest size that holds its rows. (Passes across two packed groups, 24 +
     * 24 + 16 for 64 rows, measured slower: 723 vs 752 tok/s at 64 streams.)
     */
    static void multiply(MemorySegment w, long go, int cols, float[] p, int pAt, int ld, int batch, float[] y, int yo,
            int ys) {
        for (int b0 = 0; b0 < batch; b0 += PACK_ROWS) {
            group(w, go, cols, p, pAt + b0 * ld, y, yo + b0 * ys, ys, Math.min(PACK_ROWS, batch - b0));
        }
    }

    /** One packed group of {@code live} (1 to 32) rows. */
    private static void group(MemorySegment w, long go, int cols, float[] p, int po, float[] y, int yo, int ys, int live) {
        if (live > 24) {
            rows24(w, go, cols, p, po, y, yo, ys, 24);
            rows8(w, go, cols, p, po + 24, y, yo + 24 * ys, ys, live - 24);
        } else if (live > 16) {
            rows24(w, go, cols, p, po, y, yo, ys, live);
        } else if (live > 8) {
            rows16(w, go, cols, p, po, y, yo, ys, live);
        } else if (live > 4) {
            rows8(w, go, cols, p, po, y, yo, ys, live);
        } else {
            rows4(w, go, cols, p, po, y, yo, ys, live);
        }
    }

    /** 24 activation rows of a pass (see {@link #multiply}); rows from {@code live} on are computed but not stored. */
    private static void rows24(MemorySegment w, long go, int cols, float[] p, int po, float[] y, int yo, int ys, int live) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0, a16 = a0, a17 = a0, a18 = a0, a19 = a0, a20 = a0, a21 = a0, a22 = a0, a23 = a0;
        long off = go;
        int at = po;
        for (int c = 0; c < cols; c += 32) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            off += SCALE_BYTES;
            for (int k = 0; k < 32; k++, off += GROUP_ROWS, at += PACK_ROWS) {
                FloatVector v = ((FloatVector) ByteVector.fromMemorySegment(Q, w, off, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d);
                a0 = v.fma(FloatVector.broadcast(F, p[at + 0]), a0);
                a1 = v.fma(FloatVector.broadcast(F, p[at + 1]), a1);
                a2 = v.fma(FloatVector.broadcast(F, p[at + 2]), a2);
                a3 = v.fma(FloatVector.broadcast(F, p[at + 3]), a3);
                a4 = v.fma(FloatVector.broadcast(F, p[at + 4]), a4);
                a5 = v.fma(FloatVector.broadcast(F, p[at + 5]), a5);
                a6 = v.fma(FloatVector.broadcast(F, p[at + 6]), a6);
                a7 = v.fma(FloatVector.broadcast(F, p[at + 7]), a7);
                a8 = v.fma(FloatVector.broadcast(F, p[at + 8]), a8);
                a9 = v.fma(FloatVector.broadcast(F, p[at + 9]), a9);
                a10 = v.fma(FloatVector.broadcast(F, p[at + 10]), a10);
                a11 = v.fma(FloatVector.broadcast(F, p[at + 11]), a11);
                a12 = v.fma(FloatVector.broadcast(F, p[at + 12]), a12);
                a13 = v.fma(FloatVector.broadcast(F, p[at + 13]), a13);
                a14 = v.fma(FloatVector.broadcast(F, p[at + 14]), a14);
                a15 = v.fma(FloatVector.broadcast(F, p[at + 15]), a15);
                a16 = v.fma(FloatVector.broadcast(F, p[at + 16]), a16);
                a17 = v.fma(FloatVector.broadcast(F, p[at + 17]), a17);
                a18 = v.fma(FloatVector.broadcast(F, p[at + 18]), a18);
                a19 = v.fma(FloatVector.broadcast(F, p[at + 19]), a19);
                a20 = v.fma(FloatVector.broadcast(F, p[at + 20]), a20);
                a21 = v.fma(FloatVector.broadcast(F, p[at + 21]), a21);
                a22 = v.fma(FloatVector.broadcast(F, p[at + 22]), a22);
                a23 = v.fma(FloatVector.broadcast(F, p[at + 23]), a23);
            }
        }
        a0.intoArray(y, yo);
        if (live > 1) {
            a1.intoArray(y, yo + 1 * ys);
        }
        if (live > 2) {
            a2.intoArray(y, yo + 2 * ys);
        }
        if (live > 3) {
            a3.intoArray(y, yo + 3 * ys);
        }
        if (live > 4) {
            a4.intoArray(y, yo + 4 * ys);
        }
        if (live > 5) {
            a5.intoArray(y, yo + 5 * ys);
        }
        if (live > 6) {
            a6.intoArray(y, yo + 6 * ys);
        }
        if (live > 7) {
            a7.intoArray(y, yo + 7 * ys);
        }
        if (live > 8) {
            a8.intoArray(y, yo + 8 * ys);
        }
        if (live > 9) {
            a9.intoArray(y, yo + 9 * ys);
        }
        if (live > 10) {
            a10.intoArray(y, yo + 10 * ys);
        }
        if (live > 11) {
            a11.intoArray(y, yo + 11 * ys);
        }
        if (live > 12) {
            a12.intoArray(y, yo + 12 * ys);
        }
        if (live > 13) {
            a13.intoArray(y, yo + 13 * ys);
        }
        if (live > 14) {
            a14.intoArray(y, yo + 14 * ys);
        }
        if (live > 15) {
            a15.intoArray(y, yo + 15 * ys);
        }
        if (live > 16) {
            a16.intoArray(y, yo + 16 * ys);
        }
        if (live > 17) {
            a17.intoArray(y, yo + 17 * ys);
        }
        if (live > 18) {
            a18.intoArray(y, yo + 18 * ys);
        }
        if (live > 19) {
            a19.intoArray(y, yo + 19 * ys);
        }
        if (live > 20) {
            a20.intoArray(y, yo + 20 * ys);
        }
        if (live > 21) {
            a21.intoArray(y, yo + 21 * ys);
        }
        if (live > 22) {
            a22.intoArray(y, yo + 22 * ys);
        }
        if (live > 23) {
            a23.intoArray(y, yo + 23 * ys);
        }
    }

    /** 16 activation rows of a pass (see {@link #multiply}); rows from {@code live} on are computed but not stored. */
    private static void rows16(MemorySegment w, long go, int cols, float[] p, int po, float[] y, int yo, int ys, int live) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        long off = go;
        int at = po;
        for (int c = 0; c < cols; c += 32) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            off += SCALE_BYTES;
            for (int k = 0; k < 32; k++, off += GROUP_ROWS, at += PACK_ROWS) {
                FloatVector v = ((FloatVector) ByteVector.fromMemorySegment(Q, w, off, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d);
                a0 = v.fma(FloatVector.broadcast(F, p[at + 0]), a0);
                a1 = v.fma(FloatVector.broadcast(F, p[at + 1]), a1);
                a2 = v.fma(FloatVector.broadcast(F, p[at + 2]), a2);
                a3 = v.fma(FloatVector.broadcast(F, p[at + 3]), a3);
                a4 = v.fma(FloatVector.broadcast(F, p[at + 4]), a4);
                a5 = v.fma(FloatVector.broadcast(F, p[at + 5]), a5);
                a6 = v.fma(FloatVector.broadcast(F, p[at + 6]), a6);
                a7 = v.fma(FloatVector.broadcast(F, p[at + 7]), a7);
                a8 = v.fma(FloatVector.broadcast(F, p[at + 8]), a8);
                a9 = v.fma(FloatVector.broadcast(F, p[at + 9]), a9);
                a10 = v.fma(FloatVector.broadcast(F, p[at + 10]), a10);
                a11 = v.fma(FloatVector.broadcast(F, p[at + 11]), a11);
                a12 = v.fma(FloatVector.broadcast(F, p[at + 12]), a12);
                a13 = v.fma(FloatVector.broadcast(F, p[at + 13]), a13);
                a14 = v.fma(FloatVector.broadcast(F, p[at + 14]), a14);
                a15 = v.fma(FloatVector.broadcast(F, p[at + 15]), a15);
            }
        }
        a0.intoArray(y, yo);
        if (live > 1) {
            a1.intoArray(y, yo + 1 * ys);
        }
        if (live > 2) {
            a2.intoArray(y, yo + 2 * ys);
        }
        if (live > 3) {
            a3.intoArray(y, yo + 3 * ys);
        }
        if (live > 4) {
            a4.intoArray(y, yo + 4 * ys);
        }
        if (live > 5) {
            a5.intoArray(y, yo + 5 * ys);
        }
        if (live > 6) {
            a6.intoArray(y, yo + 6 * ys);
        }
        if (live > 7) {
            a7.intoArray(y, yo + 7 * ys);
        }
        if (live > 8) {
            a8.intoArray(y, yo + 8 * ys);
        }
        if (live > 9) {
            a9.intoArray(y, yo + 9 * ys);
        }
        if (live > 10) {
            a10.intoArray(y, yo + 10 * ys);
        }
        if (live > 11) {
            a11.intoArray(y, yo + 11 * ys);
        }
        if (live > 12) {
            a12.intoArray(y, yo + 12 * ys);
        }
        if (live > 13) {
            a13.intoArray(y, yo + 13 * ys);
        }
        if (live > 14) {
            a14.intoArray(y, yo + 14 * ys);
        }
        if (live > 15) {
            a15.intoArray(y, yo + 15 * ys);
        }
    }

    /** 8 activation rows of a pass (see {@link #multiply}); rows from {@code live} on are computed but not stored. */
    private static void rows8(MemorySegment w, long go, int cols, float[] p, int po, float[] y, int yo, int ys, int live) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        long off = go;
        int at = po;
        for (int c = 0; c < cols; c += 32) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            off += SCALE_BYTES;
            for (int k = 0; k < 32; k++, off += GROUP_ROWS, at += PACK_ROWS) {
                FloatVector v = ((FloatVector) ByteVector.fromMemorySegment(Q, w, off, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d);
                a0 = v.fma(FloatVector.broadcast(F, p[at + 0]), a0);
                a1 = v.fma(FloatVector.broadcast(F, p[at + 1]), a1);
                a2 = v.fma(FloatVector.broadcast(F, p[at + 2]), a2);
                a3 = v.fma(FloatVector.broadcast(F, p[at + 3]), a3);
                a4 = v.fma(FloatVector.broadcast(F, p[at + 4]), a4);
                a5 = v.fma(FloatVector.broadcast(F, p[at + 5]), a5);
                a6 = v.fma(FloatVector.broadcast(F, p[at + 6]), a6);
                a7 = v.fma(FloatVector.broadcast(F, p[at + 7]), a7);
            }
        }
        a0.intoArray(y, yo);
        if (live > 1) {
            a1.intoArray(y, yo + 1 * ys);
        }
        if (live > 2) {
            a2.intoArray(y, yo + 2 * ys);
        }
        if (live > 3) {
            a3.intoArray(y, yo + 3 * ys);
        }
        if (live > 4) {
            a4.intoArray(y, yo + 4 * ys);
        }
        if (live > 5) {
            a5.intoArray(y, yo + 5 * ys);
        }
        if (live > 6) {
            a6.intoArray(y, yo + 6 * ys);
        }
        if (live > 7) {
            a7.intoArray(y, yo + 7 * ys);
        }
    }

    /** 4 activation rows of a pass (see {@link #multiply}); rows from {@code live} on are computed but not stored. */
    private static void rows4(MemorySegment w, long go, int cols, float[] p, int po, float[] y, int yo, int ys, int live) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long off = go;
        int at = po;
        for (int c = 0; c < cols; c += 32) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            off += SCALE_BYTES;
            for (int k = 0; k < 32; k++, off += GROUP_ROWS, at += PACK_ROWS) {
                FloatVector v = ((FloatVector) ByteVector.fromMemorySegment(Q, w, off, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d);
                a0 = v.fma(FloatVector.broadcast(F, p[at + 0]), a0);
                a1 = v.fma(FloatVector.broadcast(F, p[at + 1]), a1);
                a2 = v.fma(FloatVector.broadcast(F, p[at + 2]), a2);
                a3 = v.fma(FloatVector.broadcast(F, p[at + 3]), a3);
            }
        }
        a0.intoArray(y, yo);
        if (live > 1) {
            a1.intoArray(y, yo + 1 * ys);
        }
        if (live > 2) {
            a2.intoArray(y, yo + 2 * ys);
        }
        if (live > 3) {
            a3.intoArray(y, yo + 3 * ys);
        }
    }

}
