package dev.infera.cpu.kernels;

import dev.infera.core.quant.Dequantize;

/**
 * The reference matrix product: decode one weight row with {@link Dequantize}, then a plain loop
 * (accumulated in double) for every batch row. Single-threaded and slow; it exists so the fast
 * kernels have something simple to be checked against. Keeps one row of scratch, so an instance must
 * not be used by two threads at once.
 */
public final class ScalarMatMul implements MatMul {

    private float[] rowScratch = new float[0];

    @Override
    public void apply(WeightMatrix w, float[] x, int xOffset, int xStride, int batch,
            float[] y, int yOffset, int yStride) {
        MatMul.checkArguments(w, x, xOffset, xStride, batch, y, yOffset, yStride);
        int cols = w.cols();
        if (rowScratch.length < cols) {
            rowScratch = new float[cols];
        }
        float[] row = rowScratch;
        for (int r = 0; r < w.rows(); r++) {
            w.dequantizeRow(r, row, 0);
            for (int b = 0; b < batch; b++) {
                int xb = xOffset + b * xStride;
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += (double) row[c] * x[xb + c];
                }
                y[yOffset + b * yStride + r] = (float) sum;
            }
        }
    }
}
