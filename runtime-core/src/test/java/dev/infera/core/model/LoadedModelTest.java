package dev.infera.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.testing.SharedModels;
import org.junit.jupiter.api.Test;

class LoadedModelTest {

    @Test
    void opensStories260K() {
        try (LoadedModel model = LoadedModel.open(SharedModels.file("stories260K.gguf"))) {
            ModelConfig c = model.config();
            assertThat(c.numLayers()).isEqualTo(5);
            assertThat(c.vocabSize()).isEqualTo(512);
            assertThat(c.kvDim()).isEqualTo(32);
            ModelWeights w = model.weights();
            assertThat(w.outputTied()).isFalse();
            assertThat(w.layer(4).ffnDown().type()).isEqualTo(GgmlType.F32);
            assertThat(w.layer(4).ffnDown().hasShape(172, 64)).isTrue();
            assertThat(w.ropeInverseFrequencies()).hasSize(4);
        }
    }

    @Test
    void opensAQuantizedCopy() {
        try (LoadedModel model = LoadedModel.open(SharedModels.file(
                "derived/stories260K-llamacpp/stories260K-Q4_0.gguf"))) {
            assertThat(model.weights().layer(0).wq().type()).isEqualTo(GgmlType.Q4_0);
            assertThat(model.weights().layer(0).ffnDown().type()).isEqualTo(GgmlType.F16);
            assertThat(model.weights().output().type()).isEqualTo(GgmlType.Q8_0);
        }
    }
}
