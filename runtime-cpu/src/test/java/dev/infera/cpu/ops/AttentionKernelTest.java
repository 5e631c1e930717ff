package dev.infera.cpu.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.backend.KvCacheLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Writes random keys and values into a paged cache through a shuffled block table, then checks both
 * attention kernels against attention computed directly on the dense arrays.
 */
class AttentionKernelTest {

    /** headDim, blockSize, contextLen, query heads per KV head. */
    static Stream<Arguments> shapes() {
        int[][] shapes = {{8, 16, 1, 2}, {8, 16, 17, 2}, {8, 4, 9, 1}, {17, 5, 23, 3}, {64, 16, 1, 3}, {64, 16, 16, 7},
                {64, 16, 100, 3}, {64, 1, 7, 1}, {100, 3, 40, 2}, {128, 16, 33, 4}};
        return ElementwiseOpsTest.speciesList().stream()
                .flatMap(s -> Stream.of(shapes).map(sh -> Arguments.of(s, sh[0], sh[1], sh[2], sh[3])));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void pagedAttentionMatchesDense(VectorSpecies<Float> species, int headDim, int blockSize, int contextLen,
            int group) {
        Random rnd = new Random(headDim * 7919L + blockSize * 31L + contextLen);
        int numKvHeads = 3;
        int numLayers = 2;
        int blocksNeeded = (contextLen + blockSize - 1) / blockSize;
        int numBlocks = blocksNeeded + 3;
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < numBlocks; i++) {
            ids.add(i);
        }
        Collections.shuffle(ids, rnd);
        int[] table = ids.subList(0, blocksNeeded).stream().mapToInt(Integer::intValue).toArray();
        int kvDim = numKvHeads * headDim;
        float[] keys = ElementwiseOpsTest.gaussian(rnd, contextLen * kvDim, 1f);
        float[] values = ElementwiseOpsTest.gaussian(rnd, contextLen * kvDim, 1f);
        int layer = 1;
        int kvHead = 2;
        try (PagedKvCache cache = new PagedKvCache(new KvCacheLayout(numLayers, numKvHeads, headDim, numBlocks,
                blockSize, 4))) {
            for (int pos = 0; pos < contextLen; pos++) {
                int slot = table[pos / blockSize] * blockSize + pos % blockSize;
                cache.write(layer, slot, keys, pos * kvDim, values, pos * kvDim);
                cache.write(0, slot, values, pos * kvDim, keys, pos * kvDim);
            }
            float[] q = ElementwiseOpsTest.gaussian(rnd, group * headDim + 1, 1f);
            float scale = (float) (1 / Math.sqrt(headDim));
            float[] scratch = new float[group * contextLen];
            float[] scalarOut = new float[group * headDim + 2];
            float[] simdOut = new float[group * headDim + 2];
            java.util.Arrays.fill(simdOut, Float.NaN);
            new ScalarAttention().attend(q, 1, group, cache, layer, kvHead, table, contextLen, scale, scratch,
                    scalarOut, 2);
            SimdKernels.attention(species).attend(q, 1, group, cache, layer, kvHead, table, contextLen, scale,
                    scratch, simdOut, 2);
            for (int g = 0; g < group; g++) {
                float[] expected = dense(q, 1 + g * headDim, keys, values, kvDim, kvHead * headDim, headDim,
                        contextLen, scale);
                for (int d = 0; d < headDim; d++) {
                    int o = 2 + g * headDim + d;
                    assertThat((double) scalarOut[o]).isCloseTo(expected[d], org.assertj.core.data.Offset.offset(1e-5));
                    assertThat((double) simdOut[o]).isCloseTo(expected[d], org.assertj.core.data.Offset.offset(1e-5));
                }
            }
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
