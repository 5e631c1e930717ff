package dev.infera.cpu.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.core.gguf.GgmlType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** SimdMatMul against ScalarMatMul for every type, species, thread count, odd shapes and batch sizes. */
class SimdMatMulTest {

    private static final int[] BATCHES = {1, 2, 3, 5, 8, 17};
    private static WorkerPool onePool;
    private static WorkerPool twoPool;
    private static final java.util.Map<String, SimdMatMul> KERNELS = new java.util.HashMap<>();

    /** One instance per species and pool: each instance is a fresh hidden class that must warm up again. */
    private static SimdMatMul kernels(int lanes, int threads) {
        return KERNELS.computeIfAbsent(lanes + "/" + threads,
                k -> new SimdMatMul(threads == 1 ? onePool : twoPool, species(lanes)));
    }

    @BeforeAll
    static void startPools() {
        onePool = new WorkerPool(1);
        twoPool = new WorkerPool(2, "simd-test", 50_000);
    }

    @AfterAll
    static void stopPools() {
        KERNELS.clear();
        onePool.close();
        twoPool.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
            GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q2_K,
            GgmlType.Q3_K, GgmlType.Q8_K};
        int[] laneCounts = {16, 8, 4};
        for (GgmlType type : types) {
            for (int lanes : laneCounts) {
                for (int threads = 1; threads <= 2; threads++) {
                    out.add(Arguments.of(type, lanes, threads));
                }
            }
        }
        return out.stream();
    }

    static int[] colsFor(GgmlType type) {
        return switch (type.blockSize()) {
            case 1 -> new int[] {7, 37, 100};
            case 32 -> new int[] {32, 160};
            default -> new int[] {256, 512};
        };
    }

    static VectorSpecies<Float> species(int lanes) {
        return switch (lanes) {
            case 16 -> FloatVector.SPECIES_512;
            case 8 -> FloatVector.SPECIES_256;
            default -> FloatVector.SPECIES_128;
        };
    }

    @ParameterizedTest(name = "{0} {1} lanes {2} threads")
    @MethodSource("cases")
    void matchesTheScalarReference(GgmlType type, int lanes, int threads) {
        SimdMatMul simd = kernels(lanes, threads);
        ScalarMatMul scalar = new ScalarMatMul();
        Random random = new Random(type.ordinal() * 31L + lanes);
        int[] rowCounts = {3, 37};
        for (int cols : colsFor(type)) {
            for (int rows : rowCounts) {
                WeightMatrix w = TestMatrices.random(type, rows, cols, random.nextLong());
                for (int batch : BATCHES) {
                    float[] x = TestMatrices.gaussian(random, batch * cols);
                    float[] expected = new float[batch * rows];
                    float[] actual = new float[batch * rows];
                    scalar.apply(w, x, batch, expected);
                    simd.apply(w, x, batch, actual);
                    assertClose(w, x, batch, expected, actual, type + " " + rows + "x" + cols + " batch " + batch);
                }
            }
        }
    }

    /** Each output may differ by 1e-5 of the sum of |w||x| over its row: float summation-order error. */
    static void assertClose(WeightMatrix w, float[] x, int batch, float[] expected, float[] actual, String what) {
        float[] row = new float[w.cols()];
        for (int r = 0; r < w.rows(); r++) {
            w.dequantizeRow(r, row, 0);
            for (int b = 0; b < batch; b++) {
                double magnitude = 0;
                for (int c = 0; c < w.cols(); c++) {
                    magnitude += Math.abs(row[c] * (double) x[b * w.cols() + c]);
                }
                int i = b * w.rows() + r;
                assertThat((double) actual[i]).as("%s y[%d][%d]", what, b, r)
                        .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5 * magnitude + 1e-30));
            }
        }
    }

    /**
     * Batches below the broadcast tiles (the small-batch kernels; F32's row passes; Q8_0/F16/BF16 up
     * to 10 rows in two parts): each row of a strided small batch must equal, bit for bit, the same row
     * multiplied alone, and the gaps between output rows stay untouched. 300 rows on one thread are
     * tasks of 76 rows, so the loops over runs of {@link SimdMatMul#ROW_PASS_ROWS} weight rows take a
     * second, partial run.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(names = {"Q8_0", "Q4_0", "Q5_1", "F16", "BF16", "F32", "Q6_K"})
    void smallBatchRowsAreTheirBatchOneResults(GgmlType type) {
        WeightMatrix w = TestMatrices.random(type, 300, 256, 11);
        SimdMatMul simd = kernels(16, 1);
        Random random = new Random(5);
        int lastBatch = Math.max(SimdMatMul.minBroadcastBatch(16) - 1,
                SimdMatMul.smallBatchLimit(RowKernels.kindOf(type)));
        for (int batch = 2; batch <= lastBatch; batch++) {
            int xStride = 260;
            int yStride = 310;
            float[] x = TestMatrices.gaussian(random, batch * xStride);
            float[] y = new float[batch * yStride];
            float[] alone = new float[batch * w.rows()];
            // Repeated until both paths are C2-compiled (see SimdMatMulSmallBatchTest.MAX_ATTEMPTS).
            for (int attempt = 0; ; attempt++) {
                java.util.Arrays.fill(y, 42f);
                simd.apply(w, x, 0, xStride, batch, y, 0, yStride);
                for (int b = 0; b < batch; b++) {
                    simd.apply(w, x, b * xStride, w.cols(), 1, alone, b * w.rows(), w.rows());
                }
                if (SimdMatMulSmallBatchTest.sameRows(y, 0, yStride, alone, w.rows(), batch, w.rows())
                        || attempt == SimdMatMulSmallBatchTest.MAX_ATTEMPTS) {
                    break;
                }
            }
            for (int b = 0; b < batch; b++) {
                for (int r = 0; r < w.rows(); r++) {
                    assertThat(y[b * yStride + r]).as("%s batch %d row %d output %d", type, batch, b, r)
                            .isEqualTo(alone[b * w.rows() + r]);
                }
                for (int r = w.rows(); r < yStride; r++) {
                    assertThat(y[b * yStride + r]).isEqualTo(42f);
                }
            }
        }
    }

    @Test
    void stridedRowsAndOffsetsLeaveOtherElementsAlone() {
        WeightMatrix w = TestMatrices.random(GgmlType.Q4_K, 21, 256, 7);
        Random random = new Random(3);
        int batch = 6;
        int xOffset = 5;
        int xStride = 300;
        int yOffset = 3;
        int yStride = 40;
        float[] x = TestMatrices.gaussian(random, xOffset + batch * xStride);
        float[] expected = new float[yOffset + batch * yStride];
        float[] actual = new float[yOffset + batch * yStride];
        java.util.Arrays.fill(expected, 42f);
        java.util.Arrays.fill(actual, 42f);
        new ScalarMatMul().apply(w, x, xOffset, xStride, batch, expected, yOffset, yStride);
        kernels(16, 2).apply(w, x, xOffset, xStride, batch, actual, yOffset, yStride);
        for (int i = 0; i < actual.length; i++) {
            boolean written = i >= yOffset && (i - yOffset) % yStride < w.rows();
            if (written) {
                assertThat(actual[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-3f));
            } else {
                assertThat(actual[i]).as("untouched y[%d]", i).isEqualTo(42f);
            }
        }
    }

    @Test
    void rejectsBadArgumentsWithAMessage() {
        WeightMatrix w = TestMatrices.random(GgmlType.Q8_0, 4, 64, 1);
        SimdMatMul simd = kernels(16, 1);
        assertThatThrownBy(() -> simd.apply(w, new float[63], 1, new float[4]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x has length 63");
        assertThatThrownBy(() -> simd.apply(w, new float[128], 2, new float[7]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("y has length 7");
        assertThatThrownBy(() -> new WeightMatrix(GgmlType.Q8_0, w.data(), 5, 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 340 bytes");
        assertThatThrownBy(() -> new WeightMatrix(GgmlType.Q8_0, w.data(), 4, 60))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block size 32");
    }
}
