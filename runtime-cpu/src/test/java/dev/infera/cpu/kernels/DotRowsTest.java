package dev.infera.cpu.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The batch-1 row kernels ({@link RowKernels#dotRows}) on the row ranges a worker pool hands out:
 * ranges of odd and even length starting at odd and even rows (the row-pair loops pair row
 * {@code first + i} with {@code first + half + i} and send an odd last row through the single-row
 * method), single rows, empty ranges and columns that are an odd number of blocks. Each output must
 * match the scalar reference, land at {@code y[yOffset + r - first]} without touching its
 * neighbours, and be bit-identical to the same row computed inside any other range.
 */
class DotRowsTest {

    private static final int ROWS = 23;
    private static final int[][] RANGES = {{0, ROWS}, {1, 8}, {3, 9}, {5, 6}, {7, 7}, {2, 23}, {11, 22}};

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
            GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};
        for (GgmlType type : types) {
            for (int lanes : new int[] {16, 8, 4}) {
                out.add(Arguments.of(type, lanes));
            }
        }
        return out.stream();
    }

    /** Columns per type: odd multiples of the block size (and, for floats, not a multiple of any vector). */
    static int[] colsFor(GgmlType type) {
        return switch (type.blockSize()) {
            case 1 -> new int[] {21, 96, 101};
            case 32 -> new int[] {32, 96, 576};
            default -> new int[] {256, 768};
        };
    }

    @ParameterizedTest(name = "{0} {1} lanes")
    @MethodSource("cases")
    void everyRangeMatchesTheReferenceAndEveryOtherRange(GgmlType type, int lanes) {
        RowKernels kernels = new RowKernels(SimdMatMulTest.species(lanes));
        int kind = RowKernels.kindOf(type);
        Random random = new Random(type.ordinal() * 131L + lanes);
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : colsFor(type)) {
                WeightMatrix w = TestMatrices.random(type, ROWS, cols, random.nextLong());
                float[] xs = TestMatrices.gaussian(random, cols);
                MemorySegment x = alignedPadded(arena, xs);
                float[] whole = new float[ROWS];
                kernels.dotRows(kind, w.data(), w.rowBytes(), cols, 0, ROWS, x, whole, 0);
                assertMatchesReference(w, xs, whole, type + " " + ROWS + "x" + cols);
                for (int[] range : RANGES) {
                    int first = range[0];
                    int end = range[1];
                    int yOffset = 4;
                    float[] y = new float[yOffset + ROWS + 4];
                    Arrays.fill(y, 42f);
                    kernels.dotRows(kind, w.data(), w.rowBytes(), cols, first, end, x, y, yOffset);
                    for (int i = 0; i < y.length; i++) {
                        int r = first + i - yOffset;
                        if (r >= first && r < end) {
                            assertThat(y[i]).as("%s cols %d rows [%d, %d) row %d", type, cols, first, end, r)
                                    .isEqualTo(whole[r]);
                        } else {
                            assertThat(y[i]).as("%s cols %d rows [%d, %d) untouched y[%d]", type, cols, first, end, i)
                                    .isEqualTo(42f);
                        }
                    }
                }
            }
        }
    }

    /** The activations as the matrix product passes them: 64-byte aligned, zero-padded to 16 floats. */
    private static MemorySegment alignedPadded(Arena arena, float[] xs) {
        int ld = (xs.length + 15) / 16 * 16;
        MemorySegment x = arena.allocate(4L * ld, 64);
        MemorySegment.copy(xs, 0, x, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, xs.length);
        return x;
    }

    /** Each output within 1e-5 of the sum of |w||x| over its row of the double-precision dot product. */
    private static void assertMatchesReference(WeightMatrix w, float[] x, float[] y, String what) {
        float[] row = new float[w.cols()];
        for (int r = 0; r < w.rows(); r++) {
            w.dequantizeRow(r, row, 0);
            double dot = 0;
            double magnitude = 0;
            for (int c = 0; c < w.cols(); c++) {
                dot += row[c] * (double) x[c];
                magnitude += Math.abs(row[c] * (double) x[c]);
            }
            assertThat((double) y[r]).as("%s row %d", what, r)
                    .isCloseTo(dot, org.assertj.core.data.Offset.offset(1e-5 * magnitude + 1e-30));
        }
    }
}
