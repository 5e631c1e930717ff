package dev.infera.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.model.ModelTensor;
import dev.infera.core.quant.Dequantize;
import dev.infera.core.quant.HalfFloats;
import dev.infera.core.testing.SyntheticModel;
import dev.infera.cuda.plan.WeightFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Upload images of matrices, decoded here the way the kernels decode them (split layout: element
 * {@code i} of row {@code r} is quant {@code i} times scale {@code r * cols / 32 + i / 32}), must
 * reproduce the reference dequantization exactly.
 */
class HostMatricesTest {

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int ROWS = 6;
    private static final int COLS = 96;

    private static ModelTensor tensor(GgmlType type, long seed) {
        ModelTensor f32 = SyntheticModel.f32("m", new Random(seed), 0f, 1f, COLS, ROWS);
        return TestModels.encode(f32, type);
    }

    private static float[] reference(ModelTensor t) {
        return Dequantize.all(t.type(), t.data(), ROWS * COLS);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0"})
    void splitLayoutDecodesToTheReferenceValues(GgmlType type) {
        ModelTensor t = tensor(type, type.ordinal());
        float[] expected = reference(t);
        try (Arena arena = Arena.ofConfined()) {
            HostMatrices.Split split = HostMatrices.split(t, arena);
            WeightFormat f = WeightFormat.of(type);
            assertThat(split.quants().byteSize()).isEqualTo(f.dataBytes(ROWS, COLS));
            assertThat(split.scales().byteSize()).isEqualTo(ROWS * (COLS / 32) * 2L);
            for (int r = 0; r < ROWS; r++) {
                for (int i = 0; i < COLS; i++) {
                    float scale = HalfFloats.f16ToFloat(split.scales().getAtIndex(SHORT_LE, r * (COLS / 32) + i / 32));
                    int q;
                    if (type == GgmlType.Q8_0) {
                        q = split.quants().get(ValueLayout.JAVA_BYTE, (long) r * COLS + i);
                    } else {
                        int j = i % 32;
                        int b = split.quants().get(ValueLayout.JAVA_BYTE, (long) r * (COLS / 2) + (i / 32) * 16 + (j & 15)) & 0xFF;
                        q = (j < 16 ? b & 0x0F : b >>> 4) - 8;
                    }
                    assertThat(q * scale).as("row %d element %d", r, i).isEqualTo(expected[r * COLS + i]);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_1", "Q5_0", "Q4_K", "F16"})
    void otherTypesAreConvertedToBf16ThroughTheReference(String typeName) {
        GgmlType type = GgmlType.valueOf(typeName);
        int width = type.blockSize() > 32 ? type.blockSize() : COLS;
        ModelTensor t = TestModels.encode(SyntheticModel.f32("m", new Random(7), 0f, 1f, width, ROWS), type);
        int cols = Math.toIntExact(t.dim(0));
        float[] expected = Dequantize.all(t.type(), t.data(), ROWS * cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bf16 = HostMatrices.dense(t, WeightFormat.BF16, arena);
            assertThat(bf16.byteSize()).isEqualTo(2L * ROWS * cols);
            for (int i = 0; i < ROWS * cols; i++) {
                assertThat(bf16.getAtIndex(SHORT_LE, i)).isEqualTo(HalfFloats.floatToBf16(expected[i]));
            }
            MemorySegment f32 = HostMatrices.dense(t, WeightFormat.F32, arena);
            for (int i = 0; i < ROWS * cols; i++) {
                assertThat(f32.getAtIndex(FLOAT_LE, i)).isEqualTo(expected[i]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16"})
    void matchingDenseTypesUploadTheFileBytesAsTheyAre(GgmlType type) {
        ModelTensor t = tensor(type, 3);
        try (Arena arena = Arena.ofConfined()) {
            assertThat(HostMatrices.dense(t, WeightFormat.of(type), arena)).isSameAs(t.data());
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q4_1"})
    void onlyQ8AndQ4AreSplit(GgmlType type) {
        ModelTensor t = tensor(type, 1);
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> HostMatrices.split(t, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not Q8_0 or Q4_0");
            assertThatThrownBy(() -> HostMatrices.dense(t, WeightFormat.Q8_0, arena))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
