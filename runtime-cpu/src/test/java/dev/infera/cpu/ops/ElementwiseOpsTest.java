package dev.infera.cpu.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.model.RopeType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Cross-checks the Vector API kernels against the scalar reference on seeded random rows. */
class ElementwiseOpsTest {

    private static final ElementwiseOps SCALAR = new ScalarElementwiseOps();
    private static final int[] SIZES = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 172, 576, 1001};

    static List<VectorSpecies<Float>> speciesList() {
        List<VectorSpecies<Float>> list = new ArrayList<>(List.of(FloatVector.SPECIES_128, FloatVector.SPECIES_256));
        if (FloatVector.SPECIES_PREFERRED.length() > 8) {
            list.add(FloatVector.SPECIES_PREFERRED);
        }
        return list;
    }

    static Stream<Arguments> sizes() {
        return speciesList().stream().flatMap(s -> java.util.Arrays.stream(SIZES).mapToObj(n -> Arguments.of(s, n)));
    }

    static float[] gaussian(Random rnd, int n, float std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = std * (float) rnd.nextGaussian();
        }
        return a;
    }

    /** Max element difference, relative to the largest magnitude of the expected row. */
    static void assertClose(float[] actual, float[] expected, double relTol) {
        double scale = 1e-30;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertThat(Math.abs(actual[i] - expected[i]) / scale)
                    .as("element %d: %s vs %s", i, actual[i], expected[i]).isLessThanOrEqualTo(relTol);
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void rmsNorm(VectorSpecies<Float> species, int n) {
        Random rnd = new Random(n * 31L + species.length());
        int off = 3;
        float[] x = gaussian(rnd, n + off, 2f);
        float[] w = gaussian(rnd, n, 1f);
        float[] expected = new float[n + 5];
        float[] actual = new float[n + 5];
        SCALAR.rmsNorm(x, off, w, 1e-5f, expected, 5, n);
        SimdKernels.elementwise(species).rmsNorm(x, off, w, 1e-5f, actual, 5, n);
        assertClose(actual, expected, 2e-6);
        SimdKernels.elementwise(species).rmsNorm(x, off, w, 1e-5f, x, off, n);
        assertClose(java.util.Arrays.copyOfRange(x, off, off + n), java.util.Arrays.copyOfRange(expected, 5, 5 + n), 2e-6);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void siluMulSoftmaxAdd(VectorSpecies<Float> species, int n) {
        Random rnd = new Random(n * 17L + species.length());
        ElementwiseOps simd = SimdKernels.elementwise(species);
        float[] gate = gaussian(rnd, n + 1, 4f);
        float[] up = gaussian(rnd, n + 2, 1f);
        float[] g1 = gate.clone();
        float[] g2 = gate.clone();
        SCALAR.siluMul(g1, 1, up, 2, n);
        simd.siluMul(g2, 1, up, 2, n);
        assertClose(g2, g1, 2e-6);

        float[] logits = gaussian(rnd, n + 4, 8f);
        float[] s1 = logits.clone();
        float[] s2 = logits.clone();
        SCALAR.softmax(s1, 4, n);
        simd.softmax(s2, 4, n);
        assertClose(s2, s1, 2e-6);
        double sum = 0;
        for (int i = 4; i < n + 4; i++) {
            sum += s2[i];
        }
        assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));

        float[] a1 = gaussian(rnd, n + 3, 1f);
        float[] a2 = a1.clone();
        float[] src = gaussian(rnd, n, 1f);
        SCALAR.add(a1, 3, src, 0, n);
        simd.add(a2, 3, src, 0, n);
        assertThat(a2).containsExactly(a1);
    }

    static Stream<Arguments> ropeShapes() {
        int[][] shapes = {{1, 8, 8}, {8, 8, 8}, {3, 64, 64}, {9, 64, 64}, {14, 64, 64}, {2, 64, 32}, {5, 18, 18},
                {2, 34, 10}, {1, 128, 128}, {3, 6, 2}};
        return speciesList().stream().flatMap(s -> Stream.of(RopeType.values())
                .flatMap(t -> Stream.of(shapes).map(sh -> Arguments.of(s, t, sh[0], sh[1], sh[2]))));
    }

    @ParameterizedTest
    @MethodSource("ropeShapes")
    void rope(VectorSpecies<Float> species, RopeType type, int numHeads, int headDim, int ropeDim) {
        Random rnd = new Random(numHeads * 1000L + headDim * 10L + ropeDim + type.ordinal());
        float[] pairCos = new float[ropeDim / 2];
        float[] pairSin = new float[ropeDim / 2];
        for (int i = 0; i < pairCos.length; i++) {
            double angle = rnd.nextDouble() * 20;
            pairCos[i] = (float) Math.cos(angle);
            pairSin[i] = (float) Math.sin(angle);
        }
        float[] cos = new float[ropeDim + 3];
        float[] sin = new float[ropeDim + 3];
        ElementwiseOps.ropeTable(type, pairCos, pairSin, cos, sin, 3);
        float[] x = gaussian(rnd, 2 + numHeads * headDim, 1f);
        float[] expected = x.clone();
        float[] actual = x.clone();
        SCALAR.rope(expected, 2, numHeads, headDim, ropeDim, type, cos, sin, 3);
        SimdKernels.elementwise(species).rope(actual, 2, numHeads, headDim, ropeDim, type, cos, sin, 3);
        assertClose(actual, expected, 1e-6);
        int half = ropeDim / 2;
        for (int h = 0; h < numHeads; h++) {
            int base = 2 + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = base + (type == RopeType.NORM ? 2 * i : i);
                int b = base + (type == RopeType.NORM ? 2 * i + 1 : i + half);
                float re = x[a] * pairCos[i] - x[b] * pairSin[i];
                float im = x[a] * pairSin[i] + x[b] * pairCos[i];
                assertThat(expected[a]).isCloseTo(re, org.assertj.core.data.Offset.offset(1e-6f));
                assertThat(expected[b]).isCloseTo(im, org.assertj.core.data.Offset.offset(1e-6f));
            }
            for (int d = ropeDim; d < headDim; d++) {
                assertThat(expected[base + d]).isEqualTo(x[base + d]);
            }
        }
    }

    @Test
    void referenceRmsNormAndSoftmaxValues() {
        float[] out = new float[2];
        SCALAR.rmsNorm(new float[] {3f, 4f}, 0, new float[] {1f, 2f}, 0f, out, 0, 2);
        double rms = Math.sqrt((9 + 16) / 2.0);
        assertThat(out[0]).isCloseTo((float) (3 / rms), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(out[1]).isCloseTo((float) (8 / rms), org.assertj.core.data.Offset.offset(1e-6f));
        float[] s = {0f, (float) Math.log(3)};
        SCALAR.softmax(s, 0, 2);
        assertThat(s[0]).isCloseTo(0.25f, org.assertj.core.data.Offset.offset(1e-7f));
        float[] g = {2f};
        SCALAR.siluMul(g, 0, new float[] {3f}, 0, 1);
        assertThat(g[0]).isCloseTo((float) (2 / (1 + Math.exp(-2)) * 3), org.assertj.core.data.Offset.offset(1e-6f));
    }
}
