package dev.infera.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.ModelFormatException;
import dev.infera.core.gguf.GgufArray;
import dev.infera.core.gguf.GgufMetadata;
import dev.infera.core.gguf.GgufValue;
import dev.infera.core.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Export to GGUF metadata, write a vocabulary-only GGUF file, read it back: the same tokenizer. */
class TokenizerGgufTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "gpt-2", "bert-bge", "llama3", "qwen2", "smollm2", "tok512"})
    void exportWriteReadGivesAnIdenticalTokenizer(String name) throws IOException {
        Tokenizer original = TestTokenizers.byName(name);
        assertRoundTrip(original, name);
    }

    @Test
    void syntheticVocabularyRoundTripsAndTokenizes() throws IOException {
        Vocabulary v = SyntheticBpeVocabulary.build(5000);
        assertThat(v.size()).isEqualTo(5000);
        Tokenizer t = Tokenizers.fromVocabulary(v);
        assertRoundTrip(t, "synthetic-5000");
    }

    private void assertRoundTrip(Tokenizer original, String name) throws IOException {
        Map<String, GgufValue> exported = TokenizerGguf.toMetadata(original.vocabulary());
        Path file = dir.resolve(name + ".gguf");
        try (GgufWriter w = GgufWriter.create(file)) {
            w.put("general.architecture", GgufValue.ofString("llama"));
            exported.forEach(w::put);
        }
        Tokenizer reloaded = TokenizerGguf.load(file);
        assertThat(TokenizerGguf.toMetadata(reloaded.vocabulary())).isEqualTo(exported);
        assertThat(reloaded.getClass()).isEqualTo(original.getClass());
        for (String text : DecodeTest.samples(name)) {
            assertThat(reloaded.encode(text, true, false)).as("%s: %s", name, text).isEqualTo(original.encode(text, true, false));
            assertThat(reloaded.encode(text, false, true)).isEqualTo(original.encode(text, false, true));
        }
        assertThat(reloaded.eogIds()).isEqualTo(original.eogIds());
        assertThat(reloaded.bosId()).isEqualTo(original.bosId());
        assertThat(reloaded.addBos()).isEqualTo(original.addBos());
    }

    @Test
    void syntheticVocabularyIsDeterministicAndRealistic() {
        Vocabulary a = SyntheticBpeVocabulary.build(49152);
        Vocabulary b = SyntheticBpeVocabulary.build(49152);
        assertThat(TokenizerGguf.toMetadata(a)).isEqualTo(TokenizerGguf.toMetadata(b));
        assertThat(a.size()).isEqualTo(49152);
        assertThat(a.text(49148)).isEqualTo("<|begin_of_text|>");
        assertThat(a.special().bos()).isEqualTo(49148);
        assertThat(a.isEog(49149)).isTrue();
        assertThat(a.isEog(49151)).isTrue();
        Tokenizer t = Tokenizers.fromVocabulary(a);
        String text = "The engine keeps a queue of requests. The model reads text as a sequence of tokens.";
        int[] ids = t.encode(text, false, false);
        assertThat(ids.length).as("learned merges compress ordinary text").isLessThan(text.length() / 3);
        assertThat(t.decode(ids)).isEqualTo(text);
        assertThat(t.encode("🦙 ünïcödé", false, false)).isNotEmpty();
        assertThatThrownBy(() -> SyntheticBpeVocabulary.build(100)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("260");
    }

    @Test
    void syntheticVocabularyOfTheLargestPresetSizeBuildsQuickly() {
        long t0 = System.nanoTime();
        Vocabulary v = SyntheticBpeVocabulary.build(151936);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(v.size()).isEqualTo(151936);
        assertThat(v.merges()).hasSize(151936 - 256 - 4);
        assertThat(millis).isLessThan(20_000);
    }

    @Test
    void badMetadataIsAModelFormatErrorNamingTheKey() {
        Map<String, GgufValue> md = new LinkedHashMap<>(TokenizerGguf.toMetadata(TestTokenizers.tok512().vocabulary()));
        Map<String, GgufValue> noTokens = new LinkedHashMap<>(md);
        noTokens.remove("tokenizer.ggml.tokens");
        assertThatThrownBy(() -> TokenizerGguf.read(new GgufMetadata(noTokens)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("tokenizer.ggml.tokens");
        Map<String, GgufValue> shortScores = new LinkedHashMap<>(md);
        shortScores.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloat32(1f, 2f)));
        assertThatThrownBy(() -> TokenizerGguf.read(new GgufMetadata(shortScores)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("tokenizer.ggml.scores");
        Map<String, GgufValue> stringScores = new LinkedHashMap<>(md);
        // As long as the token list, so only the element type (not the length check) can reject it.
        List<String> oneStringPerToken = java.util.Collections.nCopies(
                ((GgufArray) md.get("tokenizer.ggml.tokens").value()).length(), "x");
        stringScores.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofStrings(oneStringPerToken)));
        assertThatThrownBy(() -> TokenizerGguf.read(new GgufMetadata(stringScores)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("tokenizer.ggml.scores")
                .hasMessageContaining("array of numbers");
        Map<String, GgufValue> stringTypes = new LinkedHashMap<>(md);
        stringTypes.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofStrings(oneStringPerToken)));
        assertThatThrownBy(() -> TokenizerGguf.read(new GgufMetadata(stringTypes)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("tokenizer.ggml.token_type")
                .hasMessageContaining("array of integers");
        Map<String, GgufValue> badModel = new LinkedHashMap<>(md);
        badModel.put("tokenizer.ggml.model", GgufValue.ofString("rwkv"));
        assertThatThrownBy(() -> TokenizerGguf.read(new GgufMetadata(badModel)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("'rwkv'");
        Map<String, GgufValue> badPre = new LinkedHashMap<>(TokenizerGguf.toMetadata(TestTokenizers.gpt2().vocabulary()));
        badPre.put("tokenizer.ggml.pre", GgufValue.ofString("mystery"));
        assertThatThrownBy(() -> TokenizerGguf.read(new GgufMetadata(badPre)))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("'mystery'");
    }
}
