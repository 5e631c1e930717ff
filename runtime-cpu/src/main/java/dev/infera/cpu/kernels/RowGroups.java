package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q8_0 and Q4_0 weights regrouped for 16-lane vectors ({@link WeightMatrix.Layout#ROW_GROUPS}), and
 * the products that read them.
 *
 * <p>Layout. Rows are taken 16 at a time (the last group padded with zero rows). For each group and
 * each 32-column block: the 16 rows' scales as F32 (64 bytes; GGUF stores them as F16, widened
 * exactly), then the 16 rows' quant bytes, byte j of every row side by side (16 bytes per j). Q8_0
 * has 32 quant bytes per row and block, byte j being column j: a block of a group is 576 bytes, 6%
 * more than GGML's 34 bytes per row. Q4_0 has 16, byte j holding column j in its low nibble and
 * column j + 16 in its high nibble as in GGML: 320 bytes, 11% more than GGML's 18 per row. Element
 * {@code (r, c)} is {@code q * d} (Q8_0) or {@code (q - 8) * d} (Q4_0) as in GGML, so every weight
 * decodes to the same float.
 *
 * <p>Why. One 16-byte load widened to 16 floats and multiplied by the block's scales is one weight
 * per output row of the group, for one column: a vector over output rows. Multiplied into a
 * broadcast activation it accumulates 16 outputs at once, so a pass keeps one accumulator per
 * activation row (up to 24) and needs neither horizontal sums nor a decoded copy of the weights. The
 * weights stream in once per pass, in order, while the FMAs run: the row layout instead decoded 16
 * rows into a buffer before each tile, and that decoding stalled on memory (see docs/performance.md,
 * item 15). A group's bytes are one sequential run, which the hardware prefetchers follow. For
 * batch 1 the same layout replaces per-row dot products (a block's scale, bounds checks and a
 * horizontal sum per row) by per-group ones: 16 rows' scales come in one load.
 *
 * <p>Activations. Batch 1 reads its row as it is, and so do batches of 2-4 rows ({@link #pair}: the
 * batch-1 arithmetic for two rows at once). Larger batches are packed transposed in groups of
 * {@value #PACK_ROWS} rows ({@link BatchKernels#packWide}): float {@code k * 32 + r} of a group is
 * column k of its row r, zero for rows past the batch. Each group runs in passes of 24, 16, 8 or 4
 * rows (24 + 8 for a full group), one weight vector per column and pass: Q8_0 decoded in the pass,
 * Q4_0 read from the group decoded once before the passes ({@link #decodeQ4_0Group}).
 *
 * <p>Summation order: per output, batch 1 sums each 32-column block in partial sums (Q8_0: four,
 * columns k mod 4; Q4_0: eight, columns k mod 4 of each half of the block), added pairwise, then
 * adds {@code block * d}; batches of 2-4 do exactly the same per row; larger batches sum
 * {@code w * x} column by column, {@code w} the decoded weight.
 * Both are float sums over the same products; they differ from each other and from the row kernels
 * within float rounding. 16-lane species only (the constant {@link #F}); {@link SimdMatMul} routes
 * other species through the scalar decoder.
 */
final class RowGroups {

    static final int GROUP_ROWS = 16;
    /** Rows per packed activation group. */
    static final int PACK_ROWS = 32;
    private static final int SCALE_BYTES = 4 * GROUP_ROWS;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    /** One quant byte of a group's 16 rows. */
    private static final VectorSpecies<Byte> Q = ByteVector.SPECIES_128;
    /** Four quant bytes of a group's 16 rows, for Q8_0 at batch 1. */
    private static final VectorSpecies<Byte> FOUR_BYTES = ByteVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private RowGroups() {
    }

    /** Whether this layout holds {@code type}: Q8_0 and Q4_0. */
    static boolean holds(GgmlType type) {
        return type == GgmlType.Q8_0 || type == GgmlType.Q4_0;
    }

    /** Quant bytes per row in one 32-column block of {@code type} (GGML's block less its F16 scale). */
    private static int quantBytes(GgmlType type) {
        return type == GgmlType.Q4_0 ? 16 : 32;
    }

    /** Bytes of one 32-column block of a group: the scales and the 16 rows' quants. */
    static int blockBytes(GgmlType type) {
        return SCALE_BYTES + quantBytes(type) * GROUP_ROWS;
    }

    /** Bytes of one group of 16 rows of {@code cols} columns. */
    static long groupBytes(GgmlType type, int cols) {
        return (long) (cols / 32) * blockBytes(type);
    }

    /** Bytes a {@code rows x cols} matrix takes in this layout. */
    static long byteSize(GgmlType type, int rows, int cols) {
        return (long) ((rows + GROUP_ROWS - 1) / GROUP_ROWS) * groupBytes(type, cols);
    }

    /**
     * Writes the {@code rows x cols} matrix of {@code type} at {@code src} (GGML row layout) into
     * {@code dst} ({@link #byteSize} bytes) in this layout.
     */
    static void regroup(GgmlType type, MemorySegment src, int rows, int cols, MemorySegment dst) {
        int quantBytes = quantBytes(type);
        int ggmlBlock = 2 + quantBytes;
        int blockBytes = blockBytes(type);
        long rowBytes = (long) (cols / 32) * ggmlBlock;
        byte[] block = new byte[ggmlBlock];
        byte[] quants = new byte[quantBytes * GROUP_ROWS];
        long o = 0;
        for (int g = 0; g < rows; g += GROUP_ROWS) {
            for (int b = 0; b < cols / 32; b++) {
                for (int r = 0; r < GROUP_ROWS; r++) {
                    if (g + r < rows) {
                        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, (g + r) * rowBytes + (long) b * ggmlBlock,
                                block, 0, ggmlBlock);
                    } else {
                        Arrays.fill(block, (byte) 0);
                    }
                    short d = (short) ((block[0] & 0xFF) | block[1] << 8);
                    dst.set(FLOAT_LE, o + 4L * r, Float.float16ToFloat(d));
                    for (int j = 0; j < quantBytes; j++) {
                        quants[j * GROUP_ROWS + r] = block[2 + j];
                    }
                }
                MemorySegment.copy(quants, 0, dst, ValueLayout.JAVA_BYTE, o + SCALE_BYTES, quants.length);
                o += blockBytes;
            }
        }
    }

    /** Row {@code row} of the matrix at {@code data} decoded into {@code dst[at ... at + cols)}. */
    static void dequantizeRow(GgmlType type, MemorySegment data, int cols, int row, float[] dst, int at) {
        boolean q4 = type == GgmlType.Q4_0;
        int blockBytes = blockBytes(type);
        long base = (row / GROUP_ROWS) * groupBytes(type, cols);
        int r = row % GROUP_ROWS;
        for (int b = 0; b < cols / 32; b++) {
            long block = base + (long) b * blockBytes;
            float d = data.get(FLOAT_LE, block + 4L * r);
            for (int k = 0; k < 32; k++) {
                int j = q4 ? k & 15 : k;
                byte q = data.get(ValueLayout.JAVA_BYTE, block + SCALE_BYTES + (long) j * GROUP_ROWS + r);
                int level = q4 ? ((q >> (k & 16) / 4) & 15) - 8 : q;
                dst[at + b * 32 + k] = level * d;
            }
        }
    }

    /**
     * {@link #single} for two activation rows: Q4_0 widens each column once for both ({@link #pairQ4_0});
     * Q8_0 runs the batch-1 kernel twice. Both rows' outputs equal their batch-1 outputs.
     */
    static void pair(GgmlType type, MemorySegment w, long go, int cols, float[] x, int xa, int xb, float[] y, int ya,
            int yb) {
        if (type == GgmlType.Q4_0) {
            pairQ4_0(w, go, cols, x, xa, xb, y, ya, yb);
        } else {
            singleQ8_0(w, go, cols, x, xa, y, ya);
            singleQ8_0(w, go, cols, x, xb, y, yb);
        }
    }

    /**
     * Batch 1: the 16 outputs of the group at byte {@code go} for the activation row at {@code x[xo]},
     * into {@code y[yo ... yo + 16)}.
     */
    static void single(GgmlType type, MemorySegment w, long go, int cols, float[] x, int xo, float[] y, int yo) {
        if (type == GgmlType.Q4_0) {
            singleQ4_0(w, go, cols, x, xo, y, yo);
        } else {
            singleQ8_0(w, go, cols, x, xo, y, yo);
        }
    }

    /** Q8_0, batch 1: four columns per step from one 64-byte load, into four partial sums per block (independent FMA chains). */
    private static void singleQ8_0(MemorySegment w, long go, int cols, float[] x, int xo, float[] y, int yo) {
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
                ByteVector q = ByteVector.fromMemorySegment(FOUR_BYTES, w, off, LE);
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
     * Q4_0, batch 1: one 16-byte load is quant byte j of the 16 rows, zero-extended to ints; its low
     * nibbles are column j and its high nibbles column j + 16, each minus 8, converted and multiplied
     * into eight partial sums per block (bytes j mod 4, low and high).
     *
     * <p>Measured choices: 64-byte loads split into quarters cost five shuffle and convert
     * instructions per quarter against one for a 16-byte zero-extending load; a block written out in
     * full (16 loads) was faster still but too large for C1 ("out of virtual registers"), so the
     * method ran interpreted until C2 got to it, sometimes for a whole benchmark. Conversions are
     * inline, not in a helper: a helper returning a vector that C2 declines to inline
     * (NodeCountInliningCutoff) boxes every vector it returns, ten times slower.
     */
    private static void singleQ4_0(MemorySegment w, long go, int cols, float[] x, int xo, float[] y, int yo) {
        FloatVector acc = FloatVector.zero(F);
        long off = go;
        int k = xo;
        IntVector n;
        for (int c = 0; c < cols; c += 32, k += 16) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            off += SCALE_BYTES;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            for (int j = 0; j < 16; j += 8, k += 8, off += 8 * GROUP_ROWS) {
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 0, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                s0 = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 0]), s0);
                s4 = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 16]), s4);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                s1 = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 1]), s1);
                s5 = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 17]), s5);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                s2 = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 2]), s2);
                s6 = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 18]), s6);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 48, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                s3 = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 3]), s3);
                s7 = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 19]), s7);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                s0 = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 4]), s0);
                s4 = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 20]), s4);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 80, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                s1 = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 5]), s1);
                s5 = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 21]), s5);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 96, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                s2 = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 6]), s2);
                s6 = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 22]), s6);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 112, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                s3 = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 7]), s3);
                s7 = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[k + 23]), s7);
            }
            acc = s0.add(s1).add(s2.add(s3)).add(s4.add(s5).add(s6.add(s7))).fma(d, acc);
        }
        acc.intoArray(y, yo);
    }

    /**
     * {@link #singleQ4_0} for two activation rows at once ({@code x[xa ...]} and {@code x[xb ...]}
     * into {@code y[ya ...]} and {@code y[yb ...]}): each column's weights are widened once for both
     * rows, and each row's sums are the same operations in the same order as the batch-1 kernel's, so
     * its outputs equal its batch-1 outputs exactly.
     */
    private static void pairQ4_0(MemorySegment w, long go, int cols, float[] x, int xa, int xb, float[] y, int ya, int yb) {
        FloatVector acc = FloatVector.zero(F), accB = acc;
        FloatVector v;
        long off = go;
        int ka = xa, kb = xb;
        IntVector n;
        for (int c = 0; c < cols; c += 32, ka += 16, kb += 16) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            off += SCALE_BYTES;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            FloatVector t0 = s0, t1 = s0, t2 = s0, t3 = s0, t4 = s0, t5 = s0, t6 = s0, t7 = s0;
            for (int j = 0; j < 16; j += 8, ka += 8, kb += 8, off += 8 * GROUP_ROWS) {
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 0, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                v = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0));
                s0 = v.fma(FloatVector.broadcast(F, x[ka + 0]), s0);
                t0 = v.fma(FloatVector.broadcast(F, x[kb + 0]), t0);
                v = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0));
                s4 = v.fma(FloatVector.broadcast(F, x[ka + 16]), s4);
                t4 = v.fma(FloatVector.broadcast(F, x[kb + 16]), t4);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                v = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0));
                s1 = v.fma(FloatVector.broadcast(F, x[ka + 1]), s1);
                t1 = v.fma(FloatVector.broadcast(F, x[kb + 1]), t1);
                v = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0));
                s5 = v.fma(FloatVector.broadcast(F, x[ka + 17]), s5);
                t5 = v.fma(FloatVector.broadcast(F, x[kb + 17]), t5);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                v = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0));
                s2 = v.fma(FloatVector.broadcast(F, x[ka + 2]), s2);
                t2 = v.fma(FloatVector.broadcast(F, x[kb + 2]), t2);
                v = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0));
                s6 = v.fma(FloatVector.broadcast(F, x[ka + 18]), s6);
                t6 = v.fma(FloatVector.broadcast(F, x[kb + 18]), t6);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 48, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                v = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0));
                s3 = v.fma(FloatVector.broadcast(F, x[ka + 3]), s3);
                t3 = v.fma(FloatVector.broadcast(F, x[kb + 3]), t3);
                v = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0));
                s7 = v.fma(FloatVector.broadcast(F, x[ka + 19]), s7);
                t7 = v.fma(FloatVector.broadcast(F, x[kb + 19]), t7);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                v = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0));
                s0 = v.fma(FloatVector.broadcast(F, x[ka + 4]), s0);
                t0 = v.fma(FloatVector.broadcast(F, x[kb + 4]), t0);
                v = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0));
                s4 = v.fma(FloatVector.broadcast(F, x[ka + 20]), s4);
                t4 = v.fma(FloatVector.broadcast(F, x[kb + 20]), t4);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 80, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                v = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0));
                s1 = v.fma(FloatVector.broadcast(F, x[ka + 5]), s1);
                t1 = v.fma(FloatVector.broadcast(F, x[kb + 5]), t1);
                v = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0));
                s5 = v.fma(FloatVector.broadcast(F, x[ka + 21]), s5);
                t5 = v.fma(FloatVector.broadcast(F, x[kb + 21]), t5);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 96, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                v = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0));
                s2 = v.fma(FloatVector.broadcast(F, x[ka + 6]), s2);
                t2 = v.fma(FloatVector.broadcast(F, x[kb + 6]), t2);
                v = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0));
                s6 = v.fma(FloatVector.broadcast(F, x[ka + 22]), s6);
                t6 = v.fma(FloatVector.broadcast(F, x[kb + 22]), t6);
                n = (IntVector) ByteVector.fromMemorySegment(Q, w, off + 112, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                v = ((FloatVector) n.and(15).sub(8).convert(VectorOperators.I2F, 0));
                s3 = v.fma(FloatVector.broadcast(F, x[ka + 7]), s3);
                t3 = v.fma(FloatVector.broadcast(F, x[kb + 7]), t3);
                v = ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0));
                s7 = v.fma(FloatVector.broadcast(F, x[ka + 23]), s7);
                t7 = v.fma(FloatVector.broadcast(F, x[kb + 23]), t7);
            }
            acc = s0.add(s1).add(s2.add(s3)).add(s4.add(s5).add(s6.add(s7))).fma(d, acc);
            accB = t0.add(t1).add(t2.add(t3)).add(t4.add(t5).add(t6.add(t7))).fma(d, accB);
        }
        acc.intoArray(y, ya);
        accB.intoArray(y, yb);
    }

    /** Floats one decoded block takes: 32 columns of 16 rows ({@link #decodeRows}'s buffer). */
    static final int DECODED_BLOCK = 32 * GROUP_ROWS;

    /**
     * Floats of the per-worker buffer {@link #multiply} and {@link #decodeRows} take for matrices of
     * {@code type} and {@code cols} columns: a whole decoded group for Q4_0's passes, one block
     * otherwise.
     */
    static int decodeBufferFloats(GgmlType type, int cols) {
        return type == GgmlType.Q4_0 ? GROUP_ROWS * cols : DECODED_BLOCK;
    }

    /**
     * Decodes the Q4_0 block at byte {@code block} of a group (scales {@code d}) into {@code dec} from
     * {@code at} on: column k's 16 weights at {@code dec[at + 16 k ...]}. {@code (q - 8) * d} is
     * computed as {@code fma(q, d, -8 d)}, which rounds the same exact value once.
     */
    private static void decodeQ4_0Block(MemorySegment w, long block, FloatVector d, float[] dec, int at) {
        long quants = block + SCALE_BYTES;
        FloatVector d8 = d.mul(-8f);
        for (int j = 0; j < 16; j++) {
            IntVector n = (IntVector) ByteVector.fromMemorySegment(Q, w, quants + (long) j * GROUP_ROWS, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            ((FloatVector) n.and(15).convert(VectorOperators.I2F, 0)).fma(d, d8).intoArray(dec, at + j * GROUP_ROWS);
            ((FloatVector) n.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(d, d8)
                    .intoArray(dec, at + (j + 16) * GROUP_ROWS);
        }
    }

    /**
     * Decodes the whole Q4_0 group at byte {@code go} into {@code dec}: column c's 16 weights at
     * {@code dec[16 c ...]}, for the passes to read one vector per column.
     *
     * <p>Why a buffer for Q4_0 only, and a whole group: decoding a Q4_0 column inside a pass (a
     * nibble picked by column, then a scale by column) left C2 with bounds checks on every packed
     * activation in the pass, 2x slower. Decoding block by block into a small buffer at the top of
     * each pass's block loop was 2x slower in the engine too (one 32-stream step of SmolLM2 Q4_0: the
     * 3072x576 product took 1157 us a call against 579 with the group decoded first; the row layout
     * 579-603). Decoding 256 or 1024 columns at a time and running the passes over them (the
     * decoded weights then stay in L1) was slower still than the whole group: 16 streams on the
     * Llama-1B shape 52-65 against 76-78 tok/s. What the fast forms share is a long sequential read
     * of the group's weights in one go; session 9 saw the same with short runs of the row decoder,
     * which the hardware prefetchers never get ahead of. Q8_0 decodes in the pass (one widening load
     * and a multiply): through a whole decoded group it measured 5-20% slower per product at 32 rows.
     */
    static void decodeQ4_0Group(MemorySegment w, long go, int cols, float[] dec) {
        long off = go;
        for (int c = 0; c < cols; c += 32, off += blockBytes(GgmlType.Q4_0)) {
            decodeQ4_0Block(w, off, FloatVector.fromMemorySegment(F, w, off, LE), dec, c * GROUP_ROWS);
        }
    }

    /** As {@link #decodeQ4_0Block}, for Q8_0 ({@code q * d}); the passes decode Q8_0 inline instead. */
    private static void decodeQ8_0Block(MemorySegment w, long block, FloatVector d, float[] dec) {
        for (int k = 0; k < 32; k++) {
            ((FloatVector) ByteVector.fromMemorySegment(Q, w, block + SCALE_BYTES + (long) k * GROUP_ROWS, LE)
                    .convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dec, k * GROUP_ROWS);
        }
    }


    /** Gathers row r of a decoded block: floats r, r + 16, ..., r + 240 (columns 0-15 of row r). */
    private static final int[] COLUMN_STRIDE = {0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240};

    /**
     * Decodes rows {@code firstRow ... firstRow + n)} ({@code firstRow} a multiple of 16, {@code n} at
     * most 16, the rows of one group) into {@code buf} in row order, {@code ld} floats per row, for the
     * row layout's tiles: each block is decoded by columns into {@code dec} ({@link #DECODED_BLOCK}
     * floats) and its rows gathered out of it. {@code ld} must equal {@code cols}.
     */
    static void decodeRows(GgmlType type, MemorySegment w, int cols, int firstRow, int n, MemorySegment buf, int ld,
            float[] dec) {
        boolean q4 = type == GgmlType.Q4_0;
        long off = (firstRow / GROUP_ROWS) * groupBytes(type, cols);
        int blockBytes = blockBytes(type);
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            if (q4) {
                decodeQ4_0Block(w, off, d, dec, 0);
            } else {
                decodeQ8_0Block(w, off, d, dec);
            }
            for (int r = 0; r < n; r++) {
                long row = 4L * ((long) r * ld + c);
                FloatVector.fromArray(F, dec, r, COLUMN_STRIDE, 0).intoMemorySegment(buf, row, LE);
                FloatVector.fromArray(F, dec, r + 16 * GROUP_ROWS, COLUMN_STRIDE, 0).intoMemorySegment(buf, row + 64, LE);
            }
        }
    }

    /**
     * The first {@code m} (1 to 16) outputs of the group at byte {@code go} for the {@code batch}
     * activation rows packed at {@code p[pAt]} ({@code ld} columns per packed group): output row
     * {@code b} goes to {@code y[yo + b * ys ... + m)}. Each packed group runs in passes of 24 + 8
     * rows when full, else in one pass of the smallest size that holds its rows; the passes sum into
     * {@code acc} ({@link #accumulatorFloats}), from which the outputs are copied. Q8_0 decodes in the
     * passes; a Q4_0 group is decoded whole into {@code dec} ({@link #decodeBufferFloats}) first (see
     * {@link #decodeQ4_0Group}). (Passes across two packed groups, 24 + 24 + 16 for 64 rows,
     * measured slower: 723 vs 752 tok/s at 64 streams.)
     */
    static void multiply(GgmlType type, MemorySegment w, long go, int cols, float[] dec, float[] acc, float[] p,
            int pAt, int ld, int batch, float[] y, int yo, int ys, int m) {
        boolean q4 = type == GgmlType.Q4_0;
        if (q4) {
            decodeQ4_0Group(w, go, cols, dec);
        }
        for (int b0 = 0; b0 < batch; b0 += PACK_ROWS) {
            group(q4, w, go, cols, dec, p, pAt + b0 * ld, acc, b0 * GROUP_ROWS, Math.min(PACK_ROWS, batch - b0));
        }
        for (int b = 0; b < batch; b++) {
            System.arraycopy(acc, b * GROUP_ROWS, y, yo + b * ys, m);
        }
    }

    /** Floats of the per-worker sums {@link #multiply} keeps for {@code batch} rows: 16 per row, whole packed groups. */
    static int accumulatorFloats(int batch) {
        return (batch + PACK_ROWS - 1) / PACK_ROWS * PACK_ROWS * GROUP_ROWS;
    }

    /** One packed group of {@code live} (1 to 32) rows, sums at {@code acc[ao]}. */
    private static void group(boolean q4, MemorySegment w, long go, int cols, float[] dec, float[] p, int po,
            float[] acc, int ao, int live) {
        if (live > 24) {
            rows24(q4, w, go, cols, dec, p, po, acc, ao);
            rows8(q4, w, go, cols, dec, p, po + 24, acc, ao + 24 * GROUP_ROWS);
        } else if (live > 16) {
            rows24(q4, w, go, cols, dec, p, po, acc, ao);
        } else if (live > 8) {
            rows16(q4, w, go, cols, dec, p, po, acc, ao);
        } else if (live > 4) {
            rows8(q4, w, go, cols, dec, p, po, acc, ao);
        } else {
            rows4(q4, w, go, cols, dec, p, po, acc, ao);
        }
    }

    /** 24 activation rows of a pass (see {@link #multiply}): their sums into {@code acc[ao ...]}, 16 floats a row. */
    private static void rows24(boolean q4, MemorySegment w, long go, int cols, float[] dec, float[] p, int po, float[] acc,
            int ao) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector a7 = a0;
        FloatVector a8 = a0;
        FloatVector a9 = a0;
        FloatVector a10 = a0;
        FloatVector a11 = a0;
        FloatVector a12 = a0;
        FloatVector a13 = a0;
        FloatVector a14 = a0;
        FloatVector a15 = a0;
        FloatVector a16 = a0;
        FloatVector a17 = a0;
        FloatVector a18 = a0;
        FloatVector a19 = a0;
        FloatVector a20 = a0;
        FloatVector a21 = a0;
        FloatVector a22 = a0;
        FloatVector a23 = a0;
        long blockBytes = q4 ? blockBytes(GgmlType.Q4_0) : blockBytes(GgmlType.Q8_0);
        long off = go;
        int at = po;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            for (int k = 0; k < 32; k++, at += PACK_ROWS) {
                FloatVector v = q4 ? FloatVector.fromArray(F, dec, (c + k) * GROUP_ROWS)
                        : ((FloatVector) ByteVector.fromMemorySegment(Q, w, off + SCALE_BYTES + (long) k * GROUP_ROWS, LE)
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
        a0.intoArray(acc, ao + 0);
        a1.intoArray(acc, ao + 16);
        a2.intoArray(acc, ao + 32);
        a3.intoArray(acc, ao + 48);
        a4.intoArray(acc, ao + 64);
        a5.intoArray(acc, ao + 80);
        a6.intoArray(acc, ao + 96);
        a7.intoArray(acc, ao + 112);
        a8.intoArray(acc, ao + 128);
        a9.intoArray(acc, ao + 144);
        a10.intoArray(acc, ao + 160);
        a11.intoArray(acc, ao + 176);
        a12.intoArray(acc, ao + 192);
        a13.intoArray(acc, ao + 208);
        a14.intoArray(acc, ao + 224);
        a15.intoArray(acc, ao + 240);
        a16.intoArray(acc, ao + 256);
        a17.intoArray(acc, ao + 272);
        a18.intoArray(acc, ao + 288);
        a19.intoArray(acc, ao + 304);
        a20.intoArray(acc, ao + 320);
        a21.intoArray(acc, ao + 336);
        a22.intoArray(acc, ao + 352);
        a23.intoArray(acc, ao + 368);
    }

    /** 16 activation rows of a pass, as {@link #rows24}. */
    private static void rows16(boolean q4, MemorySegment w, long go, int cols, float[] dec, float[] p, int po, float[] acc,
            int ao) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector a7 = a0;
        FloatVector a8 = a0;
        FloatVector a9 = a0;
        FloatVector a10 = a0;
        FloatVector a11 = a0;
        FloatVector a12 = a0;
        FloatVector a13 = a0;
        FloatVector a14 = a0;
        FloatVector a15 = a0;
        long blockBytes = q4 ? blockBytes(GgmlType.Q4_0) : blockBytes(GgmlType.Q8_0);
        long off = go;
        int at = po;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            for (int k = 0; k < 32; k++, at += PACK_ROWS) {
                FloatVector v = q4 ? FloatVector.fromArray(F, dec, (c + k) * GROUP_ROWS)
                        : ((FloatVector) ByteVector.fromMemorySegment(Q, w, off + SCALE_BYTES + (long) k * GROUP_ROWS, LE)
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
        a0.intoArray(acc, ao + 0);
        a1.intoArray(acc, ao + 16);
        a2.intoArray(acc, ao + 32);
        a3.intoArray(acc, ao + 48);
        a4.intoArray(acc, ao + 64);
        a5.intoArray(acc, ao + 80);
        a6.intoArray(acc, ao + 96);
        a7.intoArray(acc, ao + 112);
        a8.intoArray(acc, ao + 128);
        a9.intoArray(acc, ao + 144);
        a10.intoArray(acc, ao + 160);
        a11.intoArray(acc, ao + 176);
        a12.intoArray(acc, ao + 192);
        a13.intoArray(acc, ao + 208);
        a14.intoArray(acc, ao + 224);
        a15.intoArray(acc, ao + 240);
    }

    /** 8 activation rows of a pass, as {@link #rows24}. */
    private static void rows8(boolean q4, MemorySegment w, long go, int cols, float[] dec, float[] p, int po, float[] acc,
            int ao) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector a7 = a0;
        long blockBytes = q4 ? blockBytes(GgmlType.Q4_0) : blockBytes(GgmlType.Q8_0);
        long off = go;
        int at = po;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            for (int k = 0; k < 32; k++, at += PACK_ROWS) {
                FloatVector v = q4 ? FloatVector.fromArray(F, dec, (c + k) * GROUP_ROWS)
                        : ((FloatVector) ByteVector.fromMemorySegment(Q, w, off + SCALE_BYTES + (long) k * GROUP_ROWS, LE)
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
        a0.intoArray(acc, ao + 0);
        a1.intoArray(acc, ao + 16);
        a2.intoArray(acc, ao + 32);
        a3.intoArray(acc, ao + 48);
        a4.intoArray(acc, ao + 64);
        a5.intoArray(acc, ao + 80);
        a6.intoArray(acc, ao + 96);
        a7.intoArray(acc, ao + 112);
    }

    /** 4 activation rows of a pass, as {@link #rows24}. */
    private static void rows4(boolean q4, MemorySegment w, long go, int cols, float[] dec, float[] p, int po, float[] acc,
            int ao) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        long blockBytes = q4 ? blockBytes(GgmlType.Q4_0) : blockBytes(GgmlType.Q8_0);
        long off = go;
        int at = po;
        for (int c = 0; c < cols; c += 32, off += blockBytes) {
            FloatVector d = FloatVector.fromMemorySegment(F, w, off, LE);
            for (int k = 0; k < 32; k++, at += PACK_ROWS) {
                FloatVector v = q4 ? FloatVector.fromArray(F, dec, (c + k) * GROUP_ROWS)
                        : ((FloatVector) ByteVector.fromMemorySegment(Q, w, off + SCALE_BYTES + (long) k * GROUP_ROWS, LE)
                                .convertShape(VectorOperators.B2F, F, 0)).mul(d);
                a0 = v.fma(FloatVector.broadcast(F, p[at + 0]), a0);
                a1 = v.fma(FloatVector.broadcast(F, p[at + 1]), a1);
                a2 = v.fma(FloatVector.broadcast(F, p[at + 2]), a2);
                a3 = v.fma(FloatVector.broadcast(F, p[at + 3]), a3);
            }
        }
        a0.intoArray(acc, ao + 0);
        a1.intoArray(acc, ao + 16);
        a2.intoArray(acc, ao + 32);
        a3.intoArray(acc, ao + 48);
    }

}
