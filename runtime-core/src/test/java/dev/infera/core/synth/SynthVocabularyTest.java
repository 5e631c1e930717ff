package dev.infera.core.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.ModelFormatException;
import dev.infera.core.gguf.GgufArray;
import dev.infera.core.gguf.GgufValue;
import dev.infera.core.gguf.GgufWriter;
import dev.infera.core.testing.SharedModels;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthVocabularyTest {

    @Test
    void copiesTokenizerKeysOfAGgufInOrder() {
        Map<String, GgufValue> md = SynthVocabulary.fromGguf(SharedModels.file("stories260K.gguf"));
        assertThat(md.keySet()).allMatch(k -> k.startsWith("tokenizer.")).contains("tokenizer.ggml.scores")
                .first().isEqualTo("tokenizer.ggml.tokens");
        assertThat(SynthVocabulary.tokenCount(md)).isEqualTo(512);
    }

    @Test
    void padsEveryPerTokenArrayLikeConverters() {
        Map<String, GgufValue> md = SynthVocabulary.fromGguf(SharedModels.file("stories260K.gguf"));
        Map<String, GgufValue> padded = SynthVocabulary.padTo(md, 520);
        assertThat(padded.keySet()).containsExactlyElementsOf(md.keySet());
        String[] tokens = ((GgufArray) padded.get("tokenizer.ggml.tokens").value()).strings();
        assertThat(tokens).hasSize(520);
        assertThat(tokens[511]).isEqualTo(((GgufArray) md.get("tokenizer.ggml.tokens").value()).strings()[511]);
        assertThat(tokens[512]).isEqualTo("[PAD512]");
        // Every original entry kept, every new one filled: checking one padded index alone would not
        // catch a fill that overwrote the originals or stopped short.
        float[] scores = ((GgufArray) padded.get("tokenizer.ggml.scores").value()).toFloats();
        float[] oldScores = ((GgufArray) md.get("tokenizer.ggml.scores").value()).toFloats();
        assertThat(java.util.Arrays.copyOf(scores, 512)).containsExactly(oldScores);
        assertThat(java.util.Arrays.copyOfRange(scores, 512, 520)).containsOnly(-1000f);
        int[] types = ((GgufArray) padded.get("tokenizer.ggml.token_type").value()).toInts();
        int[] oldTypes = ((GgufArray) md.get("tokenizer.ggml.token_type").value()).toInts();
        assertThat(java.util.Arrays.copyOf(types, 512)).containsExactly(oldTypes);
        assertThat(java.util.Arrays.copyOfRange(types, 512, 520)).containsOnly(5);
        assertThat(padded.get("tokenizer.ggml.bos_token_id")).isEqualTo(md.get("tokenizer.ggml.bos_token_id"));
        assertThat(SynthVocabulary.padTo(md, 512)).isSameAs(md);
        assertThatThrownBy(() -> SynthVocabulary.padTo(md, 100)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void builtInVocabularyHasTheRequestedSize() {
        Map<String, GgufValue> md = SynthVocabulary.synthetic(1000);
        assertThat(SynthVocabulary.tokenCount(md)).isEqualTo(1000);
        assertThat(((GgufValue) md.get("tokenizer.ggml.model")).value()).isEqualTo("gpt2");
    }

    @Test
    void rejectsAGgufWithoutTokenizer(@TempDir Path dir) {
        Path p = dir.resolve("bare.gguf");
        try (GgufWriter w = GgufWriter.create(p)) {
            w.put("general.architecture", GgufValue.ofString("llama"));
        }
        assertThatThrownBy(() -> SynthVocabulary.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("no tokenizer");
    }
}
