package dev.infera.cpu.kernels;

import java.lang.foreign.MemorySegment;

/** Per-species SIMD decoding of weight rows (the {@code QuantDecodeKernels} template). */
interface RowDecoder extends RowKernels {

    /**
     * Decodes rows {@code [firstRow, firstRow + numRows)} of {@code kind} into {@code dst}: row i starts
     * at float {@code i * ld} ({@code ld >= cols}); floats {@code cols..ld} of each row are set to 0.
     */
    void decodeRows(int kind, MemorySegment w, long rowBytes, int cols, int firstRow, int numRows,
            MemorySegment dst, int ld);
}
