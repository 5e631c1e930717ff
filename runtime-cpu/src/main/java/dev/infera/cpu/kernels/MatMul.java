package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import java.util.Objects;

/**
 * A matrix product with a weight matrix: for each of {@code batch} activation rows,
 * {@code y[b][r] = sum over c of W[r][c] * x[b][c]}. Activations are dense float rows: row b of x
 * starts at {@code xOffset + b * xStride} and holds {@code w.cols()} values; row b of y starts at
 * {@code yOffset + b * yStride} and receives {@code w.rows()} values (overwritten, not accumulated).
 * The weight matrix is read once per call for all batch rows.
 */
public interface MatMul {

    void apply(WeightMatrix w, float[] x, int xOffset, int xStride, int batch, float[] y, int yOffset, int yStride);

    /**
     * The layout this product reads matrices of {@code type} fastest in; a model loader may store them
     * so. Every implementation accepts every layout.
     */
    default WeightMatrix.Layout preferredLayout(GgmlType type) {
        return WeightMatrix.Layout.ROWS;
    }

    /** Dense rows: x is {@code batch x cols} from {@code xOffset}, y is {@code batch x rows} from {@code yOffset}. */
    default void apply(WeightMatrix w, float[] x, int xOffset, int batch, float[] y, int yOffset) {
        apply(w, x, xOffset, w.cols(), batch, y, yOffset, w.rows());
    }

    /** Dense rows from index 0 of both arrays. */
    default void apply(WeightMatrix w, float[] x, int batch, float[] y) {
        apply(w, x, 0, w.cols(), batch, y, 0, w.rows());
    }

    /** Checks the arguments of {@link #apply}; throws {@link IllegalArgumentException} naming the problem. */
    static void checkArguments(WeightMatrix w, float[] x, int xOffset, int xStride, int batch,
            float[] y, int yOffset, int yStride) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
        if (batch < 0) {
            throw new IllegalArgumentException("batch must be >= 0, got " + batch);
        }
        if (xStride < w.cols() || yStride < w.rows()) {
            throw new IllegalArgumentException("strides (x " + xStride + ", y " + yStride
                    + ") must be at least the row lengths (cols " + w.cols() + ", rows " + w.rows() + ")");
        }
        if (batch == 0) {
            return;
        }
        long xEnd = xOffset + (long) (batch - 1) * xStride + w.cols();
        long yEnd = yOffset + (long) (batch - 1) * yStride + w.rows();
        if (xOffset < 0 || xEnd > x.length) {
            throw new IllegalArgumentException("activations need x[" + xOffset + ", " + xEnd + ") but x has length "
                    + x.length);
        }
        if (yOffset < 0 || yEnd > y.length) {
            throw new IllegalArgumentException("outputs need y[" + yOffset + ", " + yEnd + ") but y has length "
                    + y.length);
        }
    }
}
