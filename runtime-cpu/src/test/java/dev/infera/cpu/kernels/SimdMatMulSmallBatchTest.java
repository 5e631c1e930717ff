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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Small batches at 16 lanes: the small-batch kernels that decode each weight block once for all
 * activation rows (batches 2-5 in one call; for Q8_0, F16 and BF16 also 6-10 in two parts per run of weight rows), and the row
 * passes that the other types keep below the broadcast tiles (batches 2-5). Every output must
 * be bit for bit the same row multiplied alone (batch 1), close to the scalar reference, and land at
 * its strided place without touching the gaps; shapes with rows that are not a multiple of the task
 * unit and columns that are an odd number of 32-blocks (or not a multiple of 16 floats).
 */
class SimdMatMulSmallBatchTest {

    private static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
        GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};
    /** Types that must have a small-batch kernel at 16 lanes (the rest take the row passes). */
    private static final GgmlType[] COVERED = {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.F16, GgmlType.BF16};

    private static WorkerPool onePool;
    private static WorkerPool twoPool;
    private static SimdMatMul oneThread;
    private static SimdMatMul twoThreads;

    @BeforeAll
    static void start() {
        onePool = new WorkerPool(1);
        twoPool = new WorkerPool(2, "small-batch-test", 50_000);
        oneThread = new SimdMatMul(onePool, SimdMatMulTest.species(16));
        twoThreads = new SimdMatMul(twoPool, SimdMatMulTest.species(16));
    }

    @AfterAll
    static void stop() {
        onePool.close();
        twoPool.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (GgmlType type : TYPES) {
            out.add(Arguments.of(type, 1));
            out.add(Arguments.of(type, 2));
        }
        return out.stream();
    }

    static int[] colsFor(GgmlType type) {
        return switch (type.blockSize()) {
            case 1 -> new int[] {37, 160};
            case 32 -> new int[] {96, 160};
            default -> new int[] {256, 768};
        };
    }

    /**
     * Bit equality holds between compiled forms: the interpreter and C1 sum a vector's lanes in order,
     * C2 in a tree, so while one path is still warming up the two can differ in the last bit. The
     * comparison is repeated (the kernels get compiled meanwhile) until both agree or this many tries
     * have passed; kernels with different arithmetic never agree.
     */
    static final int MAX_ATTEMPTS = 3000;

    static boolean sameRows(float[] y, int yOffset, int yStride, float[] alone, int aloneStride, int batch,
            int rows) {
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                if (Float.floatToRawIntBits(y[yOffset + b * yStride + r]) != Float.floatToRawIntBits(alone[b * aloneStride + r])) {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    void theCoveredTypesHaveKernelsAtSixteenLanesOnly() {
        RowKernels sixteen = new RowKernels(SimdMatMulTest.species(16));
        RowKernels eight = new RowKernels(SimdMatMulTest.species(8));
        for (GgmlType type : COVERED) {
            for (int batch = 2; batch < SimdMatMul.minBroadcastBatch(16); batch++) {
                assertThat(sixteen.hasSmallBatch(RowKernels.kindOf(type), batch)).as("%s batch %d", type, batch).isTrue();
                assertThat(eight.hasSmallBatch(RowKernels.kindOf(type), batch)).isFalse();
            }
        }
        assertThat(sixteen.hasSmallBatch(RowKernels.kindOf(GgmlType.Q8_0), 1)).isFalse();
        assertThat(sixteen.hasSmallBatch(RowKernels.kindOf(GgmlType.Q8_0), RowKernels.MAX_SMALL_BATCH + 1)).isFalse();
    }

    @ParameterizedTest(name = "{0} {1} threads")
    @MethodSource("cases")
    void eachRowIsItsBatchOneResultAndCloseToTheReference(GgmlType type, int threads) {
        SimdMatMul simd = threads == 1 ? oneThread : twoThreads;
        ScalarMatMul scalar = new ScalarMatMul();
        Random random = new Random(type.ordinal() * 17L + threads);
        for (int cols : colsFor(type)) {
            for (int rows : new int[] {37, 150}) {
                WeightMatrix w = TestMatrices.random(type, rows, cols, random.nextLong());
                int maxBatch = Arrays.asList(COVERED).contains(type) ? SimdMatMul.smallBatchLimit(RowKernels.kindOf(type))
                        : SimdMatMul.minBroadcastBatch(16) - 1;
                for (int batch = 2; batch <= maxBatch; batch++) {
                    String what = type + " " + rows + "x" + cols + " batch " + batch;
                    int xOffset = 3;
                    int xStride = cols + 5;
                    int yOffset = 2;
                    int yStride = rows + 7;
                    float[] x = TestMatrices.gaussian(random, xOffset + batch * xStride);
                    float[] y = new float[yOffset + batch * yStride];
                    float[] alone = new float[batch * rows];
                    for (int attempt = 0; ; attempt++) {
                        Arrays.fill(y, 42f);
                        simd.apply(w, x, xOffset, xStride, batch, y, yOffset, yStride);
                        for (int b = 0; b < batch; b++) {
                            simd.apply(w, x, xOffset + b * xStride, cols, 1, alone, b * rows, rows);
                        }
                        if (sameRows(y, yOffset, yStride, alone, rows, batch, rows) || attempt == MAX_ATTEMPTS) {
                            break;
                        }
                    }
                    float[] packedX = new float[batch * cols];
                    float[] packedY = new float[batch * rows];
                    for (int b = 0; b < batch; b++) {
                        System.arraycopy(x, xOffset + b * xStride, packedX, b * cols, cols);
                        for (int r = 0; r < rows; r++) {
                            float got = y[yOffset + b * yStride + r];
                            assertThat(got).as("%s row %d output %d vs batch 1", what, b, r).isEqualTo(alone[b * rows + r]);
                            packedY[b * rows + r] = got;
                        }
                    }
                    for (int i = 0; i < y.length; i++) {
                        if (i < yOffset || (i - yOffset) % yStride >= rows) {
                            assertThat(y[i]).as("%s untouched y[%d]", what, i).isEqualTo(42f);
                        }
                    }
                    float[] expected = new float[batch * rows];
                    scalar.apply(w, packedX, batch, expected);
                    SimdMatMulTest.assertClose(w, packedX, batch, expected, packedY, what);
                }
            }
        }
    }

    /** The kernels on their own: any row range (odd starts and ends, single rows, empty) of any batch. */
    @Test
    void rowRangesOfTheKernelsMatchBatchOne() {
        RowKernels kernels = new RowKernels(SimdMatMulTest.species(16));
        int[][] ranges = {{0, 23}, {1, 8}, {5, 6}, {7, 7}, {11, 23}};
        Random random = new Random(9);
        try (Arena arena = Arena.ofConfined()) {
            for (GgmlType type : COVERED) {
                int kind = RowKernels.kindOf(type);
                int cols = type.blockSize() == 1 ? 101 : type.blockSize() == 32 ? 96 : 512;
                long xStrideBytes = 4L * 528;
                WeightMatrix w = TestMatrices.random(type, 23, cols, random.nextLong());
                MemorySegment x = arena.allocate(5 * xStrideBytes, 64);
                for (long at = 0; at < x.byteSize(); at += 4) {
                    x.set(ValueLayout.JAVA_FLOAT, at, (float) random.nextGaussian());
                }
                for (int batch = 2; batch <= RowKernels.MAX_SMALL_BATCH; batch++) {
                    for (int[] range : ranges) {
                        int yStride = 30;
                        float[] y = new float[batch * yStride + 4];
                        float[] alone = new float[batch * 23];
                        for (int attempt = 0; ; attempt++) {
                            Arrays.fill(y, 42f);
                            kernels.dotBatch(kind, batch, w.data(), w.rowBytes(), cols, range[0], range[1], x,
                                    xStrideBytes, y, 4, yStride);
                            for (int b = 0; b < batch; b++) {
                                kernels.dotRows(kind, w.data(), w.rowBytes(), cols, range[0], range[1],
                                        x.asSlice(b * xStrideBytes), alone, b * 23);
                            }
                            if (sameRows(y, 4, yStride, alone, 23, batch, range[1] - range[0]) || attempt == MAX_ATTEMPTS) {
                                break;
                            }
                        }
                        for (int b = 0; b < batch; b++) {
                            for (int i = 0; i < yStride; i++) {
                                float want = range[0] + i < range[1] ? alone[b * 23 + i] : 42f;
                                assertThat(y[4 + b * yStride + i]).as("%s batch %d range %s row %d output %d", type,
                                        batch, Arrays.toString(range), b, range[0] + i).isEqualTo(want);
                            }
                        }
                    }
                }
            }
        }
    }
}
