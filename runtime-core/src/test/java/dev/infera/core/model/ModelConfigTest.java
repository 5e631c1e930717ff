package dev.infera.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.ModelFormatException;
import dev.infera.core.gguf.GgufArray;
import dev.infera.core.gguf.GgufMetadata;
import dev.infera.core.gguf.GgufValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelConfigTest {

    /** The metadata of stories260K.gguf (an old converter: no vocab_size, no freq_base). */
    static Map<String, GgufValue> storiesMetadata() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("llama"));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(Collections.nCopies(512, "x"))));
        m.put("llama.context_length", GgufValue.ofUInt32(2048));
        m.put("llama.embedding_length", GgufValue.ofUInt32(64));
        m.put("llama.feed_forward_length", GgufValue.ofUInt32(172));
        m.put("llama.attention.head_count", GgufValue.ofUInt32(8));
        m.put("llama.attention.head_count_kv", GgufValue.ofUInt32(4));
        m.put("llama.block_count", GgufValue.ofUInt32(5));
        m.put("llama.rope.dimension_count", GgufValue.ofUInt32(8));
        m.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        return m;
    }

    @Test
    void readsStories260K() {
        ModelConfig c = ModelConfig.fromMetadata(new GgufMetadata(storiesMetadata()));
        assertThat(c.architecture()).isEqualTo(ModelArchitecture.LLAMA);
        assertThat(c.embeddingLength()).isEqualTo(64);
        assertThat(c.numLayers()).isEqualTo(5);
        assertThat(c.numHeads()).isEqualTo(8);
        assertThat(c.numKvHeads()).isEqualTo(4);
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.kvDim()).isEqualTo(32);
        assertThat(c.headsPerKvHead()).isEqualTo(2);
        assertThat(c.feedForwardLength()).isEqualTo(172);
        assertThat(c.vocabSize()).isEqualTo(512);
        assertThat(c.rmsNormEps()).isEqualTo(1e-5f);
        assertThat(c.ropeTheta()).isEqualTo(10000f);
        assertThat(c.ropeDim()).isEqualTo(8);
        assertThat(c.ropeType()).isEqualTo(RopeType.NORM);
        assertThat(c.ropeScaling()).isEqualTo(RopeScaling.NONE);
        assertThat(c.contextLength()).isEqualTo(2048);
    }

    @Test
    void readsQwen2WithExplicitKeys() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("qwen2"));
        m.put("qwen2.vocab_size", GgufValue.ofUInt32(151936));
        m.put("qwen2.context_length", GgufValue.ofUInt32(32768));
        m.put("qwen2.embedding_length", GgufValue.ofUInt32(896));
        m.put("qwen2.feed_forward_length", GgufValue.ofUInt32(4864));
        m.put("qwen2.attention.head_count", GgufValue.ofUInt32(14));
        m.put("qwen2.attention.head_count_kv", GgufValue.ofUInt32(2));
        m.put("qwen2.block_count", GgufValue.ofUInt32(24));
        m.put("qwen2.rope.freq_base", GgufValue.ofFloat32(1000000f));
        m.put("qwen2.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-6f));
        ModelConfig c = ModelConfig.fromMetadata(new GgufMetadata(m));
        assertThat(c.architecture()).isEqualTo(ModelArchitecture.QWEN2);
        assertThat(c.architecture().hasQkvBias()).isTrue();
        assertThat(c.ropeType()).isEqualTo(RopeType.NEOX);
        assertThat(c.headDim()).isEqualTo(64);
        assertThat(c.ropeDim()).isEqualTo(64);
        assertThat(c.vocabSize()).isEqualTo(151936);
        assertThat(c.ropeTheta()).isEqualTo(1000000f);
    }

    @Test
    void readsRopeScaling() {
        Map<String, GgufValue> m = storiesMetadata();
        m.put("llama.rope.scaling.type", GgufValue.ofString("llama3"));
        m.put("llama.rope.scaling.factor", GgufValue.ofFloat32(32f));
        m.put("llama.rope.scaling.low_freq_factor", GgufValue.ofFloat32(1f));
        m.put("llama.rope.scaling.high_freq_factor", GgufValue.ofFloat32(4f));
        m.put("llama.rope.scaling.original_context_length", GgufValue.ofUInt32(8192));
        assertThat(ModelConfig.fromMetadata(new GgufMetadata(m)).ropeScaling())
                .isEqualTo(RopeScaling.llama3(32f, 1f, 4f, 8192));

        Map<String, GgufValue> lin = storiesMetadata();
        lin.put("llama.rope.scale_linear", GgufValue.ofFloat32(2f));
        assertThat(ModelConfig.fromMetadata(new GgufMetadata(lin)).ropeScaling()).isEqualTo(RopeScaling.linear(2f));

        Map<String, GgufValue> yarn = storiesMetadata();
        yarn.put("llama.rope.scaling.type", GgufValue.ofString("yarn"));
        assertThatThrownBy(() -> ModelConfig.fromMetadata(new GgufMetadata(yarn)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("llama.rope.scaling.type")
                .hasMessageContaining("yarn");
    }

    @Test
    void rejectsUnknownArchitectureAndBadKeys() {
        Map<String, GgufValue> m = storiesMetadata();
        m.put("general.architecture", GgufValue.ofString("mamba"));
        assertThatThrownBy(() -> ModelConfig.fromMetadata(new GgufMetadata(m)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("mamba").hasMessageContaining("qwen2");

        Map<String, GgufValue> missing = storiesMetadata();
        missing.remove("llama.block_count");
        assertThatThrownBy(() -> ModelConfig.fromMetadata(new GgufMetadata(missing)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("llama.block_count");

        Map<String, GgufValue> gqa = storiesMetadata();
        gqa.put("llama.attention.head_count_kv", GgufValue.ofUInt32(3));
        assertThatThrownBy(() -> ModelConfig.fromMetadata(new GgufMetadata(gqa)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("not a multiple of the KV head count 3");

        Map<String, GgufValue> padded = storiesMetadata();
        assertThat(ModelConfig.fromMetadata(new GgufMetadata(padded), 520).vocabSize()).isEqualTo(520);
        padded.put("llama.vocab_size", GgufValue.ofUInt32(530));
        assertThat(ModelConfig.fromMetadata(new GgufMetadata(padded), 520).vocabSize()).isEqualTo(530);

        Map<String, GgufValue> noVocab = storiesMetadata();
        noVocab.remove("tokenizer.ggml.tokens");
        assertThatThrownBy(() -> ModelConfig.fromMetadata(new GgufMetadata(noVocab)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("llama.vocab_size");
    }
}
