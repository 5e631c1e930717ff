package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * Per-species SIMD kernels over the rows of one weight matrix (implemented by the
 * {@code QuantRowKernels} template, see {@link SpeciesSpecializer}). Types are passed as the
 * {@code KIND_*} codes, since a template cannot switch over an enum.
 */
interface RowKernels {

    int KIND_F32 = 0;
    int KIND_F16 = 1;
    int KIND_BF16 = 2;
    int KIND_Q8_0 = 3;
    int KIND_Q4_0 = 4;
    int KIND_Q4_1 = 5;
    int KIND_Q5_0 = 6;
    int KIND_Q5_1 = 7;
    int KIND_Q4_K = 8;
    int KIND_Q5_K = 9;
    int KIND_Q6_K = 10;

    /** The kind code of a type the SIMD kernels decode, or -1 when they do not. */
    static int kindOf(GgmlType type) {
        return switch (type) {
            case F32 -> KIND_F32;
            case F16 -> KIND_F16;
            case BF16 -> KIND_BF16;
            case Q8_0 -> KIND_Q8_0;
            case Q4_0 -> KIND_Q4_0;
            case Q4_1 -> KIND_Q4_1;
            case Q5_0 -> KIND_Q5_0;
            case Q5_1 -> KIND_Q5_1;
            case Q4_K -> KIND_Q4_K;
            case Q5_K -> KIND_Q5_K;
            case Q6_K -> KIND_Q6_K;
            default -> -1;
        };
    }

    /** Decodes rows {@code [firstRow, firstRow + numRows)} into {@code dst}, row i at {@code i * cols}. */
    void decodeRows(int kind, MemorySegment w, long rowBytes, int cols, int firstRow, int numRows, float[] dst);
}
