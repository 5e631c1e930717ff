package dev.infera.cpu.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.gguf.GgmlType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The broadcast-tile path of SimdMatMul against ScalarMatMul at the batch sizes where its lane
 * groups change (quads, pairs, wide groups, padded wide groups) and with rows that fill neither a
 * decode block (16) nor a tile (8), for every weight type. Q8_0, F16 and BF16 run batches up to 10
 * on the small-batch kernels instead (still checked here against the reference); their quad and
 * pair groups are reached from batch 11 on.
 */
class BroadcastTilesTest {

    /** With 16 lanes: 6-8 quads, 9-16 pairs, 17-24 pairs and quads, 25-32 a (padded) wide group, and so on. */
    private static final int[] BATCHES = {6, 7, 8, 9, 11, 12, 16, 17, 24, 25, 31, 32, 33, 40, 47, 64, 70};
    private static WorkerPool pool;
    private static final java.util.Map<Integer, SimdMatMul> KERNELS = new java.util.HashMap<>();

    @BeforeAll
    static void startPool() {
        pool = new WorkerPool(2, "broadcast-test", 50_000);
    }

    @AfterAll
    static void stopPool() {
        KERNELS.clear();
        pool.close();
    }

    private static SimdMatMul kernels(int lanes) {
        return KERNELS.computeIfAbsent(lanes, l -> new SimdMatMul(pool, SimdMatMulTest.species(l)));
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K,
            GgmlType.Q6_K, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q8_K}) {
            out.add(Arguments.of(type, 16));
        }
        for (int lanes : new int[] {8, 4}) {
            out.add(Arguments.of(GgmlType.Q8_0, lanes));
            out.add(Arguments.of(GgmlType.F32, lanes));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} lanes")
    @MethodSource("cases")
    void matchesTheScalarReference(GgmlType type, int lanes) {
        SimdMatMul simd = kernels(lanes);
        ScalarMatMul scalar = new ScalarMatMul();
        Random random = new Random(type.ordinal() * 17L + lanes);
        // 32 * odd columns for block-32 types, odd columns for unblocked ones, one K-quant block otherwise.
        int cols = switch (type.blockSize()) {
            case 1 -> 45;
            case 32 -> 96;
            default -> 256;
        };
        for (int rows : new int[] {5, 21}) {
            WeightMatrix w = TestMatrices.random(type, rows, cols, random.nextLong());
            for (int batch : BATCHES) {
                float[] x = TestMatrices.gaussian(random, batch * cols);
                float[] expected = new float[batch * rows];
                float[] actual = new float[batch * rows];
                scalar.apply(w, x, batch, expected);
                simd.apply(w, x, batch, actual);
                SimdMatMulTest.assertClose(w, x, batch, expected, actual, type + " " + rows + "x" + cols + " batch " + batch);
            }
        }
    }

    @Test
    void packsInParallelWithPaddedColumns() {
        // 70 x 336 packed floats split into column runs over both workers; the last run holds the 3
        // padding columns of the odd width, the last lane group 6 missing activation rows.
        WeightMatrix w = TestMatrices.random(GgmlType.F16, 13, 333, 21);
        Random random = new Random(8);
        int batch = 70;
        float[] x = TestMatrices.gaussian(random, batch * w.cols());
        float[] expected = new float[batch * w.rows()];
        float[] actual = new float[batch * w.rows()];
        new ScalarMatMul().apply(w, x, batch, expected);
        kernels(16).apply(w, x, batch, actual);
        SimdMatMulTest.assertClose(w, x, batch, expected, actual, "F16 13x333 batch 70");
    }

    @Test
    void stridedOutputsLeaveTheGapsAlone() {
        WeightMatrix w = TestMatrices.random(GgmlType.Q8_0, 19, 160, 5);
        Random random = new Random(9);
        int batch = 37;
        int xOffset = 3;
        int xStride = 170;
        int yOffset = 7;
        int yStride = 25;
        float[] x = TestMatrices.gaussian(random, xOffset + batch * xStride);
        float[] expected = new float[yOffset + batch * yStride];
        float[] actual = new float[yOffset + batch * yStride];
        java.util.Arrays.fill(expected, 42f);
        java.util.Arrays.fill(actual, 42f);
        new ScalarMatMul().apply(w, x, xOffset, xStride, batch, expected, yOffset, yStride);
        kernels(16).apply(w, x, xOffset, xStride, batch, actual, yOffset, yStride);
        for (int i = 0; i < actual.length; i++) {
            boolean written = i >= yOffset && (i - yOffset) % yStride < w.rows();
            if (written) {
                assertThat(actual[i]).as("y[%d]", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-3f));
            } else {
                assertThat(actual[i]).as("untouched y[%d]", i).isEqualTo(42f);
            }
        }
    }

    @Test
    void aBatchRowGetsTheSameResultWhateverItsNeighbours() {
        // Every output is a sum over its own columns only: the first 32 activation rows (one wide lane
        // group) must give the same bits whatever the other 32 rows of the batch hold.
        WeightMatrix w = TestMatrices.random(GgmlType.Q4_0, 24, 128, 11);
        Random random = new Random(4);
        float[] x = TestMatrices.gaussian(random, 64 * 128);
        float[] wide = new float[64 * 24];
        kernels(16).apply(w, x, 64, wide);
        float[] otherRows = x.clone();
        for (int i = 32 * 128; i < otherRows.length; i++) {
            otherRows[i] = (float) random.nextGaussian();
        }
        float[] again = new float[64 * 24];
        kernels(16).apply(w, otherRows, 64, again);
        assertThat(java.util.Arrays.copyOf(again, 32 * 24)).containsExactly(java.util.Arrays.copyOf(wide, 32 * 24));
    }
}
