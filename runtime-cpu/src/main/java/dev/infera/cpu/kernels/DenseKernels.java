package dev.infera.cpu.kernels;

/** Per-species dense float tiles (implemented by the {@code DenseTileKernels} template). */
interface DenseKernels {

    /**
     * {@code y[yOffset + b * yStride + i] = dot(w[i * cols ...], x[xOffset + b * xStride ...])} for
     * {@code i < numRows} and {@code b < batch}: a block of decoded weight rows against a batch of
     * activation rows.
     */
    void denseTile(float[] w, int numRows, int cols, float[] x, int xOffset, int xStride, int batch,
            float[] y, int yOffset, int yStride);
}
