package dev.infera.core.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.ModelFormatException;
import dev.infera.core.testing.SharedModels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {

    @Test
    void readsStories260K() {
        try (GgufFile f = GgufFile.open(SharedModels.file("stories260K.gguf"))) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.alignment()).isEqualTo(32);
            GgufMetadata md = f.metadata();
            assertThat(md.getString("general.architecture")).isEqualTo("llama");
            assertThat(md.getInt("llama.embedding_length")).isEqualTo(64);
            assertThat(md.getInt("llama.block_count")).isEqualTo(5);
            assertThat(md.getInt("llama.attention.head_count")).isEqualTo(8);
            assertThat(md.getInt("llama.attention.head_count_kv")).isEqualTo(4);
            assertThat(md.getString("tokenizer.ggml.model")).isEqualTo("llama");
            assertThat(md.getStringArray("tokenizer.ggml.tokens")).hasSize(512);
            assertThat(f.tensors()).hasSize(48);
            GgufTensorInfo emb = f.tensor("token_embd.weight");
            assertThat(emb.type()).isEqualTo(GgmlType.F32);
            assertThat(emb.shape()).containsExactly(64, 512);
            MemorySegment data = f.tensorData(emb);
            assertThat(data.byteSize()).isEqualTo(64L * 512 * 4);
            float first = data.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
            assertThat(Float.isFinite(first)).isTrue();
            assertThat(f.findTensor("nope")).isEmpty();
            assertThatThrownBy(() -> f.tensor("nope")).isInstanceOf(ModelFormatException.class).hasMessageContaining("'nope'");
        }
    }

    @Test
    void rejectsNonGgufWithMessage(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("x.gguf");
        Files.write(p, "hello world, not a model".getBytes());
        assertThatThrownBy(() -> GgufFile.open(p)).isInstanceOf(ModelFormatException.class).hasMessageContaining("magic");
        assertThatThrownBy(() -> GgufFile.open(dir.resolve("missing.gguf")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("not found");
    }

    @Test
    void truncatedHeaderNamesOffset() throws Exception {
        byte[] all = Files.readAllBytes(SharedModels.file("stories260K.gguf"));
        byte[] cut = java.util.Arrays.copyOf(all, 1000);
        assertThatThrownBy(() -> GgufFile.parse(MemorySegment.ofArray(cut), "cut.gguf"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("cut.gguf")
                .hasMessageContaining("byte offset");
    }
}
