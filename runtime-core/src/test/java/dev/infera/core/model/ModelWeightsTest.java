package dev.infera.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.ModelFormatException;
import dev.infera.core.gguf.GgmlType;
import dev.infera.core.testing.SyntheticModel;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ModelWeightsTest {

    private static final ModelConfig LLAMA = new ModelConfig(ModelArchitecture.LLAMA, 64, 2, 8, 4, 8, 96, 40, 1e-5f,
            10000f, 8, RopeScaling.NONE, 128);
    private static final ModelConfig QWEN = new ModelConfig(ModelArchitecture.QWEN2, 64, 1, 4, 2, 16, 96, 40, 1e-6f,
            1e6f, 16, RopeScaling.NONE, 128);

    @Test
    void findsEveryTensorAndTiesTheOutput() {
        ModelWeights separate = SyntheticModel.weights(LLAMA, 1, false);
        assertThat(separate.outputTied()).isFalse();
        assertThat(separate.output().name()).isEqualTo("output.weight");
        assertThat(separate.layers()).hasSize(2);
        assertThat(separate.layer(1).wk().name()).isEqualTo("blk.1.attn_k.weight");
        assertThat(separate.layer(0).hasQkvBias()).isFalse();

        ModelWeights tied = SyntheticModel.weights(LLAMA, 1, true);
        assertThat(tied.outputTied()).isTrue();
        assertThat(tied.output()).isSameAs(tied.tokenEmbedding());
        long perLayer = 4L * (64 * 64 * 2 + 64 * 32 * 2 + 64 * 96 * 3);
        assertThat(tied.matrixBytes()).isEqualTo(2 * perLayer + 4L * 64 * 40);

        ModelWeights qwen = SyntheticModel.weights(QWEN, 2, true);
        assertThat(qwen.layer(0).hasQkvBias()).isTrue();
        assertThat(qwen.layer(0).bk().toFloatArray()).hasSize(32);
    }

    @Test
    void namesAMissingTensor() {
        Map<String, ModelTensor> t = new java.util.HashMap<>(SyntheticModel.tensors(LLAMA, 1, false));
        t.remove("blk.1.ffn_up.weight");
        assertThatThrownBy(() -> ModelWeights.load(LLAMA, TensorSource.of(t)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("'blk.1.ffn_up.weight' is missing");

        Map<String, ModelTensor> q = new java.util.HashMap<>(SyntheticModel.tensors(QWEN, 1, true));
        q.remove("blk.0.attn_v.bias");
        assertThatThrownBy(() -> ModelWeights.load(QWEN, TensorSource.of(q)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("blk.0.attn_v.bias");
    }

    @Test
    void namesAMisShapedOrMistypedTensor() {
        Random rnd = new Random(3);
        Map<String, ModelTensor> t = new java.util.HashMap<>(SyntheticModel.tensors(LLAMA, 1, false));
        t.put("blk.0.attn_k.weight", SyntheticModel.f32("blk.0.attn_k.weight", rnd, 0, 1, 64, 64));
        assertThatThrownBy(() -> ModelWeights.load(LLAMA, TensorSource.of(t)))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'blk.0.attn_k.weight' has shape [64, 64], expected [64, 32]");

        Map<String, ModelTensor> f16Norm = new java.util.HashMap<>(SyntheticModel.tensors(LLAMA, 1, false));
        f16Norm.put("output_norm.weight", new ModelTensor("output_norm.weight", GgmlType.F16, new long[] {64},
                MemorySegment.ofArray(new byte[128])));
        assertThatThrownBy(() -> ModelWeights.load(LLAMA, TensorSource.of(f16Norm)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("'output_norm.weight' has type F16");

        Map<String, ModelTensor> q8 = new java.util.HashMap<>(SyntheticModel.tensors(LLAMA, 1, false));
        q8.put("blk.0.ffn_down.weight", new ModelTensor("blk.0.ffn_down.weight", GgmlType.Q8_0, new long[] {96, 64},
                MemorySegment.ofArray(new byte[96 * 64 / 32 * 34])));
        assertThat(ModelWeights.load(LLAMA, TensorSource.of(q8)).layer(0).ffnDown().type()).isEqualTo(GgmlType.Q8_0);

        Map<String, ModelTensor> badBlocks = new java.util.HashMap<>(SyntheticModel.tensors(LLAMA, 1, false));
        badBlocks.put("blk.0.ffn_up.weight", new ModelTensor("blk.0.ffn_up.weight", GgmlType.Q4_K, new long[] {64, 96},
                MemorySegment.ofArray(new byte[4096])));
        assertThatThrownBy(() -> ModelWeights.load(LLAMA, TensorSource.of(badBlocks)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("'blk.0.ffn_up.weight'")
                .hasMessageContaining("block size 256");

        Map<String, ModelTensor> iq = new java.util.HashMap<>(SyntheticModel.tensors(LLAMA, 1, false));
        iq.put("output.weight", new ModelTensor("output.weight", GgmlType.IQ2_XXS, new long[] {64, 40},
                MemorySegment.ofArray(new byte[4096])));
        assertThatThrownBy(() -> ModelWeights.load(LLAMA, TensorSource.of(iq)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("'output.weight' has type IQ2_XXS");

        Map<String, ModelTensor> truncated = new java.util.HashMap<>(SyntheticModel.tensors(LLAMA, 1, false));
        truncated.put("blk.1.attn_q.weight", new ModelTensor("blk.1.attn_q.weight", GgmlType.F32, new long[] {64, 64},
                MemorySegment.ofArray(new byte[100])));
        assertThatThrownBy(() -> ModelWeights.load(LLAMA, TensorSource.of(truncated)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("'blk.1.attn_q.weight' holds 100 bytes");
    }
}
