package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.quant.Dequantize;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A weight matrix in GGML layout: {@code rows} output features, each row holding {@code cols} input
 * elements of {@code type}, rows stored one after another ({@code type.byteSize(cols)} bytes each),
 * usually a zero-copy slice of a memory-mapped model file.
 */
public record WeightMatrix(GgmlType type, MemorySegment data, int rows, int cols) {

    public WeightMatrix {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("weight matrix must have positive rows and cols, got " + rows + "x" + cols);
        }
        long rowBytes = type.byteSize(cols);
        if (rowBytes < 0) {
            throw new IllegalArgumentException("weight matrix of " + type + " needs cols divisible by the block size "
                    + type.blockSize() + ", got " + cols);
        }
        long expected = rowBytes * rows;
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("weight matrix " + rows + "x" + cols + " of " + type + " needs "
                    + expected + " bytes, but its data has " + data.byteSize());
        }
    }

    /** Bytes one row takes. */
    public long rowBytes() {
        return type.byteSize(cols);
    }

    /** Bytes the whole matrix takes. */
    public long byteSize() {
        return data.byteSize();
    }

    /** Decodes row {@code row} (an embedding lookup) into {@code dst[dstOffset ... dstOffset + cols)}. */
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        Objects.checkIndex(row, rows);
        Dequantize.row(type, data, row * rowBytes(), dst, dstOffset, cols);
    }
}
