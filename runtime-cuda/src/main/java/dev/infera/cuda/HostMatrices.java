package dev.infera.cuda;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.model.ModelTensor;
import dev.infera.core.quant.Dequantize;
import dev.infera.core.quant.HalfFloats;
import dev.infera.cuda.plan.WeightFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Host-side preparation of a matrix's bytes for upload, in the device format the planner expects:
 * dense rows in F32/F16/BF16 (the file's own bytes when the type already matches, converted through
 * the reference dequantization otherwise), or the split layout of Q8_0/Q4_0 (quants, then scales).
 */
final class HostMatrices {

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HostMatrices() {
    }

    /** A tensor's quants and scales in the split layout. */
    record Split(MemorySegment quants, MemorySegment scales) {
    }

    static long rows(ModelTensor t) {
        return t.dim(1);
    }

    static int cols(ModelTensor t) {
        return Math.toIntExact(t.dim(0));
    }

    /**
     * The tensor's rows in a dense device format: its own data when the type matches, else a copy in
     * {@code arena} converted element by element (F32 values rounded to the format).
     */
    static MemorySegment dense(ModelTensor t, WeightFormat format, Arena arena) {
        if (format.isQuantized()) {
            throw new IllegalArgumentException(format + " is not a dense format");
        }
        if (t.type() == format.ggmlType()) {
            return t.data();
        }
        long rows = rows(t);
        int cols = cols(t);
        MemorySegment out = arena.allocate(format.dataBytes(rows, cols), 64);
        float[] row = new float[cols];
        long rowBytes = t.type().byteSize(cols);
        for (long r = 0; r < rows; r++) {
            Dequantize.row(t.type(), t.data(), r * rowBytes, row, 0, cols);
            long base = r * cols;
            for (int c = 0; c < cols; c++) {
                switch (format) {
                    case F32 -> out.setAtIndex(FLOAT_LE, base + c, row[c]);
                    case F16 -> out.setAtIndex(SHORT_LE, base + c, HalfFloats.floatToF16(row[c]));
                    case BF16 -> out.setAtIndex(SHORT_LE, base + c, HalfFloats.floatToBf16(row[c]));
                    default -> throw new IllegalStateException(format.name());
                }
            }
        }
        return out;
    }

    /**
     * A Q8_0 or Q4_0 tensor in the split layout: each block's F16 scale moved to the scales array and
     * its quants (32 int8, or 16 bytes of nibble pairs in the file's order) to the quants array.
     */
    static Split split(ModelTensor t, Arena arena) {
        GgmlType type = t.type();
        if (type != GgmlType.Q8_0 && type != GgmlType.Q4_0) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' is " + type + ", not Q8_0 or Q4_0");
        }
        long blocks = t.numElements() / type.blockSize();
        int quantBytes = type.bytesPerBlock() - 2;
        MemorySegment quants = arena.allocate(blocks * quantBytes, 64);
        MemorySegment scales = arena.allocate(blocks * 2, 64);
        MemorySegment src = t.data();
        for (long b = 0; b < blocks; b++) {
            long at = b * type.bytesPerBlock();
            scales.setAtIndex(SHORT_LE, b, src.get(SHORT_LE, at));
            MemorySegment.copy(src, at + 2, quants, b * quantBytes, quantBytes);
        }
        return new Split(quants, scales);
    }
}
