package dev.infera.cpu.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Q8_0 and Q4_0 in 16-row groups: regrouping keeps every weight, and {@link SimdMatMul} on grouped matrices
 * computes what the scalar reference computes on the same matrix in GGML's row layout: batches of up
 * to 4 rows (one row at a time), batches that fill 32-row activation groups partly, exactly and over
 * several groups (the group passes), and batches past {@link SimdMatMul#GROUP_KERNELS_MAX_BATCH} for
 * both types (groups decoded into rows for the tiles), with row counts that leave the last weight
 * group partial.
 */
class RowGroupsTest {

    private static final int[] BATCHES = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 57, 64, 70, 300};
    private static WorkerPool onePool;
    private static WorkerPool twoPool;

    @BeforeAll
    static void startPools() {
        onePool = new WorkerPool(1);
        twoPool = new WorkerPool(2, "groups-test", 50_000);
    }

    @AfterAll
    static void stopPools() {
        onePool.close();
        twoPool.close();
    }

    private static WeightMatrix grouped(WeightMatrix rows) {
        MemorySegment dst = Arena.ofAuto().allocate(
                WeightMatrix.byteSize(rows.type(), rows.rows(), rows.cols(), WeightMatrix.Layout.ROW_GROUPS), 64);
        return rows.regroupedInto(dst);
    }

    @ParameterizedTest
    @CsvSource({"Q8_0, 576", "Q4_0, 320"})
    void regroupingKeepsEveryWeight(GgmlType type, int blockBytes) {
        for (int rows : new int[] {1, 15, 16, 17, 40}) {
            for (int cols : new int[] {32, 96}) {
                WeightMatrix w = TestMatrices.random(type, rows, cols, rows * 100L + cols);
                WeightMatrix g = grouped(w);
                assertThat(g.layout()).isEqualTo(WeightMatrix.Layout.ROW_GROUPS);
                assertThat(g.byteSize()).isEqualTo((long) ((rows + 15) / 16) * (cols / 32) * blockBytes);
                float[] expected = new float[cols];
                float[] actual = new float[cols];
                for (int r = 0; r < rows; r++) {
                    w.dequantizeRow(r, expected, 0);
                    g.dequantizeRow(r, actual, 0);
                    assertThat(actual).as("%dx%d row %d", rows, cols, r).containsExactly(expected);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @CsvSource({"Q8_0, 1", "Q8_0, 2", "Q4_0, 1", "Q4_0, 2"})
    void sixteenLanesMatchTheScalarReference(GgmlType type, int threads) {
        SimdMatMul simd = new SimdMatMul(threads == 1 ? onePool : twoPool, FloatVector.SPECIES_512);
        matchesReference(simd, type, new int[] {3, 16, 37, 64}, new int[] {32, 160});
    }

    /**
     * Batches of 2-4 rows run the batch-1 kernel row by row, Q4_0 two rows at a time
     * ({@link RowGroups#pair}): every row's outputs are bit for bit its batch-1 outputs.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void smallBatchRowsEqualTheirBatchOneResultsExactly(GgmlType type) {
        SimdMatMul simd = new SimdMatMul(twoPool, FloatVector.SPECIES_512);
        Random random = new Random(11);
        for (int rows : new int[] {37, 64}) {
            int cols = 160;
            WeightMatrix g = grouped(TestMatrices.random(type, rows, cols, random.nextLong()));
            for (int batch = 2; batch <= SimdMatMul.GROUP_ROW_BY_ROW_LIMIT; batch++) {
                float[] x = TestMatrices.gaussian(random, batch * cols);
                float[] y = new float[batch * rows];
                simd.apply(g, x, 0, cols, batch, y, 0, rows);
                for (int b = 0; b < batch; b++) {
                    float[] one = new float[rows];
                    simd.apply(g, x, b * cols, cols, 1, one, 0, rows);
                    assertThat(java.util.Arrays.copyOfRange(y, b * rows, (b + 1) * rows))
                            .as("%s %d rows, batch %d, row %d", type, rows, batch, b).containsExactly(one);
                }
            }
        }
    }

    /** Q4_0's passes decode a whole group into a per-worker buffer, which a wider matrix grows. */
    @ParameterizedTest(name = "{0}, {1} threads")
    @CsvSource({"Q8_0, 2", "Q4_0, 1", "Q4_0, 2"})
    void widerMatricesGrowTheDecodedGroupBuffer(GgmlType type, int threads) {
        SimdMatMul simd = new SimdMatMul(threads == 1 ? onePool : twoPool, FloatVector.SPECIES_512);
        matchesReference(simd, type, new int[] {37}, new int[] {64, 608});
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void otherSpeciesDecodeGroupsCorrectly(GgmlType type) {
        SimdMatMul simd = new SimdMatMul(twoPool, FloatVector.SPECIES_256);
        matchesReference(simd, type, new int[] {3, 37}, new int[] {64});
    }

    private static void matchesReference(SimdMatMul simd, GgmlType type, int[] rowCounts, int[] colCounts) {
        ScalarMatMul scalar = new ScalarMatMul();
        Random random = new Random(5);
        for (int cols : colCounts) {
            for (int rows : rowCounts) {
                WeightMatrix w = TestMatrices.random(type, rows, cols, random.nextLong());
                WeightMatrix g = grouped(w);
                for (int batch : BATCHES) {
                    // Strided rows with a sentinel between them: outputs outside the rows stay untouched.
                    int xStride = cols + 3;
                    int yStride = rows + 5;
                    float[] x = TestMatrices.gaussian(random, batch * xStride + 2);
                    float[] expected = new float[batch * rows];
                    float[] actual = new float[batch * yStride + 1];
                    java.util.Arrays.fill(actual, Float.NaN);
                    float[] dense = new float[batch * cols];
                    for (int b = 0; b < batch; b++) {
                        System.arraycopy(x, 2 + b * xStride, dense, b * cols, cols);
                    }
                    scalar.apply(w, dense, batch, expected);
                    simd.apply(g, x, 2, xStride, batch, actual, 1, yStride);
                    float[] packed = new float[batch * rows];
                    for (int b = 0; b < batch; b++) {
                        System.arraycopy(actual, 1 + b * yStride, packed, b * rows, rows);
                        for (int i = rows; i < yStride && 1 + b * yStride + i < actual.length; i++) {
                            assertThat(actual[1 + b * yStride + i]).as("gap after row %d", b).isNaN();
                        }
                    }
                    assertThat(actual[0]).isNaN();
                    SimdMatMulTest.assertClose(w, dense, batch, expected, packed,
                            simd.species() + " " + type + " groups " + rows + "x" + cols + " batch " + batch);
                }
            }
        }
    }

    @Test
    void sixteenLaneProductsPreferGroupsForQ8_0AndQ4_0Only() {
        for (GgmlType grouped : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0}) {
            assertThat(new SimdMatMul(onePool, FloatVector.SPECIES_512).preferredLayout(grouped)).as("%s", grouped)
                    .isEqualTo(WeightMatrix.Layout.ROW_GROUPS);
        }
        for (GgmlType other : new GgmlType[] {GgmlType.F16, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q4_K}) {
            assertThat(new SimdMatMul(onePool, FloatVector.SPECIES_512).preferredLayout(other)).as("%s", other)
                    .isEqualTo(WeightMatrix.Layout.ROWS);
        }
        assertThat(new SimdMatMul(onePool, FloatVector.SPECIES_256).preferredLayout(GgmlType.Q8_0))
                .isEqualTo(WeightMatrix.Layout.ROWS);
        assertThat(new SimdMatMul(onePool, FloatVector.SPECIES_256).preferredLayout(GgmlType.Q4_0))
                .isEqualTo(WeightMatrix.Layout.ROWS);
        assertThat(new ScalarMatMul().preferredLayout(GgmlType.Q8_0)).isEqualTo(WeightMatrix.Layout.ROWS);
    }

    @Test
    void groupsHoldQ8_0AndQ4_0OfTheRightSizeOnly() {
        WeightMatrix w = TestMatrices.random(GgmlType.Q8_0, 20, 64, 3);
        WeightMatrix g = grouped(w);
        assertThatThrownBy(() -> new WeightMatrix(GgmlType.Q5_0, g.data(), 20, 64, WeightMatrix.Layout.ROW_GROUPS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q8_0 and Q4_0 weights only");
        assertThatThrownBy(() -> new WeightMatrix(GgmlType.Q4_0, g.data(), 20, 64, WeightMatrix.Layout.ROW_GROUPS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 1280 bytes");
        WeightMatrix q5 = TestMatrices.random(GgmlType.Q5_0, 20, 64, 4);
        assertThatThrownBy(() -> q5.regroupedInto(g.data()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q8_0 and Q4_0");
        assertThatThrownBy(() -> w.regroupedInto(Arena.ofAuto().allocate(g.byteSize() - 64)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("destination has");
        assertThatThrownBy(() -> new WeightMatrix(GgmlType.Q8_0, w.data(), 20, 64, WeightMatrix.Layout.ROW_GROUPS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs " + g.byteSize() + " bytes");
        assertThatThrownBy(() -> g.regroupedInto(g.data()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row layout");
    }
}
