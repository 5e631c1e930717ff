package dev.infera.cpu.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.backend.KvCacheLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import jdk.incubator.vector.VectorSpecies;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Writes random keys and values into a paged cache (F32 and F16) through a shuffled block table, then
 * checks both attention kernels against attention computed directly on the dense arrays (rounded to
 * F16 first for an F16 cache), for tiles of query rows (decode: one row; prefill chunks: several
 * consecutive positions, starting anywhere in a block), and that the SIMD kernel computes each row of
 * a tile bit for bit as it does for that row alone.
 */
class AttentionKernelTest {

    private static final int NUM_KV_HEADS = 3;
    private static final int KV_HEAD = 2;
    private static final int LAYER = 1;

    /** headDim, blockSize, first row's context, rows, query heads per KV head. */
    static Stream<Arguments> shapes() {
        int[][] shapes = {{8, 16, 1, 1, 2}, {8, 16, 17, 1, 2}, {8, 4, 9, 1, 1}, {17, 5, 23, 1, 3}, {64, 16, 1, 1, 3},
            {64, 16, 16, 1, 7}, {64, 16, 100, 1, 3}, {64, 1, 7, 1, 1}, {100, 3, 40, 1, 2}, {128, 16, 33, 1, 4},
            {64, 16, 1, 16, 3}, {64, 16, 7, 13, 3}, {64, 16, 30, 5, 7}, {64, 16, 250, 16, 1}, {128, 16, 41, 9, 3},
            {48, 16, 20, 6, 3}, {80, 16, 13, 11, 7}, {80, 32, 70, 16, 2}, {48, 8, 5, 10, 1}, {17, 5, 3, 8, 3},
            {64, 24, 60, 7, 3}, {64, 16, 300, 3, 4}};
        return ElementwiseOpsTest.speciesList().stream().flatMap(s -> Stream.of(4, 2).flatMap(bytes -> Stream.of(shapes)
                .map(sh -> Arguments.of(s, bytes, sh[0], sh[1], sh[2], sh[3], sh[4]))));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void pagedAttentionMatchesDense(VectorSpecies<Float> species, int elementBytes, int headDim, int blockSize,
            int firstContext, int rows, int group) {
        Random rnd = new Random(headDim * 7919L + blockSize * 31L + firstContext * 131L + rows);
        int contextLen = firstContext + rows - 1;
        int blocksNeeded = (contextLen + blockSize - 1) / blockSize;
        int numBlocks = blocksNeeded + 3;
        int[] table = shuffledBlocks(rnd, numBlocks, blocksNeeded);
        int kvDim = NUM_KV_HEADS * headDim;
        float[] keys = ElementwiseOpsTest.gaussian(rnd, contextLen * kvDim, 1f);
        float[] values = ElementwiseOpsTest.gaussian(rnd, contextLen * kvDim, 1f);
        try (PagedKvCache cache = new PagedKvCache(new KvCacheLayout(2, NUM_KV_HEADS, headDim, numBlocks, blockSize,
                elementBytes))) {
            fillCache(cache, table, keys, values, contextLen, kvDim, rnd);
            if (elementBytes == 2) {
                roundToHalf(keys);
                roundToHalf(values);
            }
            int rowStride = group * headDim + 5;
            float[] q = ElementwiseOpsTest.gaussian(rnd, rows * rowStride + 1, 1f);
            float scale = (float) (1 / Math.sqrt(headDim));
            float[] scratch = new float[AttentionKernel.scratchFloats(rows, group, contextLen, blockSize)];
            float[] scalarOut = new float[rows * rowStride + 2];
            float[] simdOut = new float[rows * rowStride + 2];
            Arrays.fill(simdOut, Float.NaN);
            new ScalarAttention().attend(q, 1, rowStride, rows, group, cache, LAYER, KV_HEAD, table, firstContext,
                    scale, scratch, scalarOut, 2);
            AttentionKernel simd = SimdKernels.attention(species);
            Arrays.fill(scratch, Float.NaN);
            simd.attend(q, 1, rowStride, rows, group, cache, LAYER, KV_HEAD, table, firstContext, scale, scratch,
                    simdOut, 2);
            float[] alone = new float[rows * rowStride + 2];
            for (int r = 0; r < rows; r++) {
                simd.attend(q, 1 + r * rowStride, rowStride, 1, group, cache, LAYER, KV_HEAD, table, firstContext + r,
                        scale, scratch, alone, 2 + r * rowStride);
                for (int g = 0; g < group; g++) {
                    int qAt = 1 + r * rowStride + g * headDim;
                    float[] expected = dense(q, qAt, keys, values, kvDim, KV_HEAD * headDim, headDim,
                            firstContext + r, scale);
                    for (int d = 0; d < headDim; d++) {
                        int o = qAt + 1 + d;
                        assertThat((double) scalarOut[o]).isCloseTo(expected[d], Offset.offset(1e-5));
                        assertThat((double) simdOut[o]).as("row %d head %d element %d", r, g, d)
                                .isCloseTo(expected[d], Offset.offset(1e-5));
                        assertThat(Float.floatToRawIntBits(alone[o])).as("row %d alone = in its tile", r)
                                .isEqualTo(Float.floatToRawIntBits(simdOut[o]));
                    }
                }
            }
            for (int i = 0; i < simdOut.length; i++) {
                boolean written = i >= 2 && (i - 2) / rowStride < rows && (i - 2) % rowStride < group * headDim;
                if (!written) {
                    assertThat(simdOut[i]).as("out[%d] outside the rows' heads is untouched", i).isNaN();
                }
            }
        }
    }

    /**
     * Every finite F16 value, stored as a value and read back by the SIMD kernel with a context of one
     * key (weight exactly 1): the vector widening must give {@link Float#float16ToFloat} exactly,
     * subnormals included; and values beyond F16's range are stored saturated.
     */
    @ParameterizedTest
    @MethodSource("dev.infera.cpu.ops.ElementwiseOpsTest#speciesList")
    void halfCacheWidensEveryFiniteHalfExactly(VectorSpecies<Float> species) {
        int headDim = 64;
        try (PagedKvCache cache = new PagedKvCache(new KvCacheLayout(2, NUM_KV_HEADS, headDim, 1, 16, 2))) {
            AttentionKernel simd = SimdKernels.attention(species);
            int kvDim = NUM_KV_HEADS * headDim;
            float[] keys = new float[kvDim];
            float[] values = new float[kvDim];
            float[] q = new float[headDim];
            float[] out = new float[headDim];
            float[] scratch = new float[AttentionKernel.scratchFloats(1, 1, 1, 16)];
            int checked = 0;
            for (int bits = 0; bits < 1 << 16; bits += headDim) {
                for (int d = 0; d < headDim; d++) {
                    short h = (short) (bits + d);
                    float v = Float.float16ToFloat(h);
                    values[KV_HEAD * headDim + d] = Float.isFinite(v) ? v : 0f;
                }
                cache.write(LAYER, 0, keys, 0, values, 0);
                simd.attend(q, 0, headDim, 1, 1, cache, LAYER, KV_HEAD, new int[] {0}, 1, 1f, scratch, out, 0);
                for (int d = 0; d < headDim; d++) {
                    float expected = values[KV_HEAD * headDim + d];
                    assertThat(out[d]).as("half 0x%04x", bits + d).isEqualTo(expected + 0f);
                    checked++;
                }
            }
            assertThat(checked).isEqualTo(1 << 16);
            values[KV_HEAD * headDim] = 1e6f;
            values[KV_HEAD * headDim + 1] = -70000f;
            values[KV_HEAD * headDim + 2] = Float.POSITIVE_INFINITY;
            cache.write(LAYER, 0, keys, 0, values, 0);
            assertThat(cache.value(LAYER, KV_HEAD, new int[] {0}, 0, 0)).isEqualTo(65504f);
            assertThat(cache.value(LAYER, KV_HEAD, new int[] {0}, 0, 1)).isEqualTo(-65504f);
            assertThat(cache.value(LAYER, KV_HEAD, new int[] {0}, 0, 2)).isEqualTo(65504f);
            simd.attend(q, 0, headDim, 1, 1, cache, LAYER, KV_HEAD, new int[] {0}, 1, 1f, scratch, out, 0);
            assertThat(out[0]).isEqualTo(65504f);
            assertThat(out[1]).isEqualTo(-65504f);
            assertThat(out[2]).isEqualTo(65504f);
        }
    }

    private static void roundToHalf(float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        }
    }

    private static int[] shuffledBlocks(Random rnd, int numBlocks, int blocksNeeded) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < numBlocks; i++) {
            ids.add(i);
        }
        Collections.shuffle(ids, rnd);
        return ids.subList(0, blocksNeeded).stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Layer {@code LAYER} gets the keys and values, layer 0 other data; the unused slots of the last
     * block get large values that would show if a kernel read past a context.
     */
    private static void fillCache(PagedKvCache cache, int[] table, float[] keys, float[] values, int contextLen,
            int kvDim, Random rnd) {
        int blockSize = cache.blockSize();
        for (int pos = 0; pos < contextLen; pos++) {
            int slot = table[pos / blockSize] * blockSize + pos % blockSize;
            cache.write(LAYER, slot, keys, pos * kvDim, values, pos * kvDim);
            cache.write(0, slot, values, pos * kvDim, keys, pos * kvDim);
        }
        float[] junk = ElementwiseOpsTest.gaussian(rnd, kvDim, 1000f);
        for (int pos = contextLen; pos % blockSize != 0; pos++) {
            cache.write(LAYER, table[pos / blockSize] * blockSize + pos % blockSize, junk, 0, junk, 0);
        }
    }

    private static float[] dense(float[] q, int qOff, float[] keys, float[] values, int kvDim, int headOff,
            int headDim, int contextLen, float scale) {
        double[] p = new double[contextLen];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < contextLen; j++) {
            double dot = 0;
            for (int d = 0; d < headDim; d++) {
                dot += (double) q[qOff + d] * keys[j * kvDim + headOff + d];
            }
            p[j] = dot * scale;
            max = Math.max(max, p[j]);
        }
        double sum = 0;
        for (int j = 0; j < contextLen; j++) {
            p[j] = Math.exp(p[j] - max);
            sum += p[j];
        }
        float[] out = new float[headDim];
        for (int d = 0; d < headDim; d++) {
            double acc = 0;
            for (int j = 0; j < contextLen; j++) {
                acc += p[j] / sum * values[j * kvDim + headOff + d];
            }
            out[d] = (float) acc;
        }
        return out;
    }
}
