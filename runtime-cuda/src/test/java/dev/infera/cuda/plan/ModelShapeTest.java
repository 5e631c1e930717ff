package dev.infera.cuda.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.KvCacheType;
import dev.infera.core.gguf.GgmlType;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelWeights;
import dev.infera.core.testing.SyntheticModel;
import dev.infera.cuda.TestModels;
import org.junit.jupiter.api.Test;

/** Device formats chosen for real weight types, fused matrices and the KV element type. */
class ModelShapeTest {

    @Test
    void fusedMatricesKeepASharedDeviceTypeAndConvertOtherwise() {
        assertThat(ModelShape.fused(GgmlType.Q8_0, GgmlType.Q8_0, GgmlType.Q8_0)).isEqualTo(WeightFormat.Q8_0);
        assertThat(ModelShape.fused(GgmlType.Q4_0, GgmlType.Q4_0)).isEqualTo(WeightFormat.Q4_0);
        assertThat(ModelShape.fused(GgmlType.Q4_0, GgmlType.Q8_0)).isEqualTo(WeightFormat.BF16);
        assertThat(ModelShape.fused(GgmlType.Q6_K, GgmlType.Q6_K)).isEqualTo(WeightFormat.BF16);
        assertThat(ModelShape.fused(GgmlType.F32, GgmlType.F16)).isEqualTo(WeightFormat.F32);
        assertThat(ModelShape.fused(GgmlType.F16, GgmlType.F16)).isEqualTo(WeightFormat.F16);
        assertThat(WeightFormat.of(GgmlType.Q5_K)).isEqualTo(WeightFormat.BF16);
    }

    @Test
    void f32ModelsKeepAnF32KvCache() {
        ModelConfig c = SyntheticModel.smollm2Like(2, 256, 128);
        ModelShape s = ModelShape.of(SyntheticModel.weights(c, 1, true));
        assertThat(s.kvType()).isEqualTo(KvType.F32);
        assertThat(s.outputTied()).isTrue();
        assertThat(s.output()).isEqualTo(WeightFormat.F32);
        assertThat(s.qkvRows()).isEqualTo(576 + 2 * 192);
        assertThat(s.neox()).isFalse();
        assertThat(s.qkvBias()).isFalse();
    }

    /** A requested KV cache type is kept only where it is the one the kernels use for the model. */
    @Test
    void requestedKvCacheTypes() {
        ModelWeights f32 = SyntheticModel.weights(SyntheticModel.smollm2Like(2, 256, 128), 1, true);
        ModelWeights quantized = TestModels.weights(SyntheticModel.qwen25Like(2, 256, 128), 2, false,
                name -> GgmlType.Q8_0);
        assertThat(ModelShape.of(f32, KvCacheType.F32).kvType()).isEqualTo(KvType.F32);
        assertThat(ModelShape.of(quantized, KvCacheType.BF16).kvType()).isEqualTo(KvType.BF16);
        assertThat(ModelShape.of(quantized, KvCacheType.AUTO).kvType()).isEqualTo(KvType.BF16);
        assertThatThrownBy(() -> ModelShape.of(quantized, KvCacheType.F16)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keeps this model's KV cache in BF16").hasMessageContaining("F16 was asked for");
        assertThatThrownBy(() -> ModelShape.of(quantized, KvCacheType.F32)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("F32 only for models whose matrices are all F32");
        assertThatThrownBy(() -> ModelShape.of(f32, KvCacheType.BF16)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keeps this model's KV cache in F32");
    }

    @Test
    void mixedQuantizedModelsGetPerLayerFormatsAndABf16Cache() {
        ModelConfig c = SyntheticModel.qwen25Like(2, 256, 128);
        ModelShape s = ModelShape.of(TestModels.weights(c, 2, false,
                name -> name.contains("attn_v") || name.startsWith("blk.1.ffn_down") ? GgmlType.Q4_0 : GgmlType.Q8_0));
        assertThat(s.kvType()).isEqualTo(KvType.BF16);
        assertThat(s.layers().get(0)).isEqualTo(new ModelShape.LayerFormats(WeightFormat.BF16, WeightFormat.Q8_0,
                WeightFormat.Q8_0, WeightFormat.Q8_0));
        assertThat(s.layers().get(1).down()).isEqualTo(WeightFormat.Q4_0);
        assertThat(s.embedding()).isEqualTo(WeightFormat.Q8_0);
        assertThat(s.neox()).isTrue();
        assertThat(s.qkvBias()).isTrue();
        assertThat(s.hasHalfPrecisionMatrix()).isTrue();
        assertThat(s.quantizedMatrixShapes()).hasSize(2 * 3 + 1);
    }
}
