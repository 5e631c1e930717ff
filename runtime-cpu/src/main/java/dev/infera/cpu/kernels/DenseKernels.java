package dev.infera.cpu.kernels;

import java.lang.foreign.MemorySegment;

/** Per-species dense float tiles (implemented by the {@code DenseTileKernels} template). */
interface DenseKernels {

    /**
     * {@code y[yOffset + b * yStride + i] = dot(w row i, x row b)} for {@code i < numRows} and
     * {@code b < batch}. Rows of both segments are {@code ld} floats apart and {@code ld} floats long
     * (a multiple of 16; padding beyond the real columns must be zero in at least one of them), so
     * the loops need no tails; both segments should be 64-byte aligned.
     */
    void denseTile(MemorySegment w, int numRows, MemorySegment x, int batch, int ld,
            float[] y, int yOffset, int yStride);
}
