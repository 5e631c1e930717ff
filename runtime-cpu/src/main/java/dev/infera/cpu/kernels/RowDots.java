package dev.infera.cpu.kernels;

import java.lang.foreign.MemorySegment;

/** Per-species SIMD batch-1 products of weight rows (the {@code QuantDotKernels} template). */
interface RowDots extends RowKernels {

    /**
     * {@code y[yOffset + r - firstRow] = dot(row r, x)} for rows in {@code [firstRow, endRow)}, where
     * {@code x} holds {@code cols} floats (64-byte aligned); each weight block is decoded straight
     * into the dot product.
     */
    void dotRows(int kind, MemorySegment w, long rowBytes, int cols, int firstRow, int endRow,
            MemorySegment x, float[] y, int yOffset);
}
