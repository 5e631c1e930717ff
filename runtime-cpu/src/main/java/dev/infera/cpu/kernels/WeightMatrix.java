package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.quant.Dequantize;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A weight matrix: {@code rows} output features of {@code cols} input elements of {@code type}.
 * In the {@link Layout#ROWS} layout (GGML's, usually a slice of a model file) rows are stored one after
 * another, {@code type.byteSize(cols)} bytes each; {@link Layout#ROW_GROUPS} is Q8_0 or Q4_0 regrouped
 * 16 rows at a time for the 16-lane kernels ({@link RowGroups}).
 */
public record WeightMatrix(GgmlType type, MemorySegment data, int rows, int cols, Layout layout) {

    /** How the matrix's bytes are arranged. */
    public enum Layout {
        /** GGML's: row after row. */
        ROWS(1),
        /** Q8_0 and Q4_0 only: groups of 16 rows, each quant byte's 16 rows side by side ({@link RowGroups}). */
        ROW_GROUPS(RowGroups.GROUP_ROWS);

        private final int rowsPerGroup;

        Layout(int rowsPerGroup) {
            this.rowsPerGroup = rowsPerGroup;
        }

        /**
         * Rows stored together: a matrix whose row count is a multiple of this ends where another
         * stacked after it begins (a last group that is not full is padded).
         */
        public int rowsPerGroup() {
            return rowsPerGroup;
        }

        /** Whether this layout can hold weights of {@code type}. */
        public boolean holds(GgmlType type) {
            return this == ROWS || RowGroups.holds(type);
        }
    }

    public WeightMatrix {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(layout, "layout");
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("weight matrix must have positive rows and cols, got " + rows + "x" + cols);
        }
        long rowBytes = type.byteSize(cols);
        if (rowBytes < 0) {
            throw new IllegalArgumentException("weight matrix of " + type + " needs cols divisible by the block size "
                    + type.blockSize() + ", got " + cols);
        }
        if (!layout.holds(type)) {
            throw new IllegalArgumentException("the " + layout + " layout holds Q8_0 and Q4_0 weights only, got " + type);
        }
        long expected = byteSize(type, rows, cols, layout);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("weight matrix " + rows + "x" + cols + " of " + type + " ("
                    + layout + ") needs " + expected + " bytes, but its data has " + data.byteSize());
        }
    }

    /** A matrix in GGML's row layout. */
    public WeightMatrix(GgmlType type, MemorySegment data, int rows, int cols) {
        this(type, data, rows, cols, Layout.ROWS);
    }

    /** Bytes one row takes in GGML's row layout (whatever this matrix's layout). */
    public long rowBytes() {
        return type.byteSize(cols);
    }

    /** Bytes the whole matrix takes. */
    public long byteSize() {
        return data.byteSize();
    }

    /** Bytes a {@code rows x cols} matrix of {@code type} takes in {@code layout}. */
    public static long byteSize(GgmlType type, int rows, int cols, Layout layout) {
        return layout == Layout.ROWS ? type.byteSize(cols) * rows : RowGroups.byteSize(type, rows, cols);
    }

    /**
     * This Q8_0 or Q4_0 matrix (row layout) regrouped into {@code dst}, which must hold
     * {@link #byteSize(GgmlType, int, int, Layout)} bytes for {@link Layout#ROW_GROUPS}.
     */
    public WeightMatrix regroupedInto(MemorySegment dst) {
        if (!Layout.ROW_GROUPS.holds(type) || layout != Layout.ROWS) {
            throw new IllegalArgumentException("only Q8_0 and Q4_0 matrices in the row layout can be regrouped, got "
                    + type + " (" + layout + ")");
        }
        long needed = byteSize(type, rows, cols, Layout.ROW_GROUPS);
        if (dst.byteSize() != needed) {
            throw new IllegalArgumentException("regrouping " + rows + "x" + cols + " of " + type + " needs " + needed
                    + " bytes, but the destination has " + dst.byteSize());
        }
        RowGroups.regroup(type, data, rows, cols, dst);
        return new WeightMatrix(type, dst, rows, cols, Layout.ROW_GROUPS);
    }

    /** Decodes row {@code row} (an embedding lookup) into {@code dst[dstOffset ... dstOffset + cols)}. */
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        Objects.checkIndex(row, rows);
        if (layout == Layout.ROW_GROUPS) {
            Objects.checkFromIndexSize(dstOffset, cols, dst.length);
            RowGroups.dequantizeRow(type, data, cols, row, dst, dstOffset);
            return;
        }
        Dequantize.row(type, data, row * rowBytes(), dst, dstOffset, cols);
    }
}
