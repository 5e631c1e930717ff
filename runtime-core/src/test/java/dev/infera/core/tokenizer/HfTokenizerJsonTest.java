package dev.infera.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.ModelFormatException;
import dev.infera.core.json.Json;
import dev.infera.core.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer.json paths that have no reference file of their own: SentencePiece-style BPE and
 * WordPiece. The test writes a tokenizer.json the way model converters do from a GGUF vocabulary and
 * checks that the loaded tokenizer encodes exactly like the GGUF one. Also the error reports.
 */
class HfTokenizerJsonTest {

    @TempDir
    Path dir;

    @Test
    void sentencePieceStyleBpeEncodesLikeTheGgufVocabulary() throws IOException {
        for (String name : List.of("tok512", "llama-spm")) {
            Tokenizer spm = TestTokenizers.byName(name);
            Path json = write(name + ".json", sentencePieceJson(spm.vocabulary()));
            Tokenizer loaded = Tokenizers.load(json, null);
            assertThat(loaded.vocabulary().model()).isEqualTo("llama");
            assertThat(loaded.bosId()).isEqualTo(1);
            assertThat(loaded.addBos()).isTrue();
            for (String text : DecodeTest.samples(name)) {
                assertThat(loaded.encode(text)).as("%s %s", name, VocabTestFiles.escape(text)).isEqualTo(spm.encode(text));
            }
            VocabTestFiles.assertConforms(name + " (tokenizer.json)", loaded,
                    SharedModels.file("vocab/ggml-vocab-llama-spm.gguf.inp"), name.equals("llama-spm")
                            ? SharedModels.file("vocab/ggml-vocab-llama-spm.gguf.out") : writeExpected(spm));
        }
    }

    @Test
    void wordPieceEncodesLikeTheGgufVocabulary() throws IOException {
        Tokenizer bert = TestTokenizers.bert();
        Path json = write("bert.json", wordPieceJson(bert.vocabulary()));
        Tokenizer loaded = Tokenizers.load(json, null);
        Path inp = SharedModels.file("vocab/ggml-vocab-bert-bge.gguf.inp");
        VocabTestFiles.assertConforms("bert-bge (tokenizer.json)", loaded, inp, Path.of(inp.toString().replace(".inp", ".out")));
        assertThat(loaded.encode("Hello world")).isEqualTo(bert.encode("Hello world"));
        assertThat(loaded.vocabulary().text(7592)).isEqualTo(bert.vocabulary().text(7592));
    }

    @Test
    void unsupportedPartsAreNamed() throws IOException {
        assertThatThrownBy(() -> Tokenizers.load(write("u.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}"), null))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("'Unigram'");
        String split = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": "
                + "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"x\"}, \"behavior\": \"Removed\"}}";
        assertThatThrownBy(() -> Tokenizers.load(write("s.json", split), null))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("'Removed'");
        String norm = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"normalizer\": {\"type\": \"NFKD\"}}";
        assertThatThrownBy(() -> Tokenizers.load(write("n.json", norm), null))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("'NFKD'");
        assertThatThrownBy(() -> Tokenizers.load(write("m.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"ab\"]}}"), null))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("merges[0]");
        assertThatThrownBy(() -> Tokenizers.load(write("j.json", "{\"model\": "), null))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("malformed JSON").hasMessageContaining("line 1");
        assertThatThrownBy(() -> Tokenizers.load(dir.resolve("nothing-here"), null))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("not found");
        Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> Tokenizers.load(dir.resolve("empty"), null))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("neither tokenizer.json nor vocab.json");
        Path folder = Files.createDirectories(dir.resolve("bpe"));
        Files.writeString(folder.resolve("vocab.json"), "{\"a\": 0, \"b\": 1, \"ab\": 2}");
        Files.writeString(folder.resolve("merges.txt"), "#version: 0.2\na b\n");
        assertThatThrownBy(() -> Tokenizers.load(folder, null))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("--pre");
        assertThat(Tokenizers.load(folder, "gpt-2").encode("ab", false, false)).containsExactly(2);
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private Path writeExpected(Tokenizer t) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String text : VocabTestFiles.cases(SharedModels.file("vocab/ggml-vocab-llama-spm.gguf.inp"))) {
            for (int id : t.encode(text, false, false)) {
                sb.append(' ').append(id);
            }
            sb.append('\n');
        }
        return write("expected.out", sb.toString());
    }

    /** A converter-style tokenizer.json for a SentencePiece vocabulary: every split of every token, best score first. */
    static String sentencePieceJson(Vocabulary v) {
        Map<String, Object> vocab = new LinkedHashMap<>();
        List<Map<String, Object>> added = new ArrayList<>();
        for (int id = 0; id < v.size(); id++) {
            vocab.put(v.text(id), id);
            if (v.type(id) == TokenType.CONTROL || v.type(id) == TokenType.UNKNOWN) {
                added.add(Map.of("id", id, "content", v.text(id), "special", true));
            }
        }
        record Merge(String left, String right, float score, int leftId, int rightId) {
        }
        List<Merge> merges = new ArrayList<>();
        for (int id = 0; id < v.size(); id++) {
            String t = v.text(id);
            if (v.type(id) != TokenType.NORMAL) {
                continue;
            }
            for (int k = 1; k < t.length(); k++) {
                if (Character.isLowSurrogate(t.charAt(k))) {
                    continue;
                }
                int l = v.id(t.substring(0, k));
                int r = v.id(t.substring(k));
                if (l >= 0 && r >= 0 && v.type(l) == TokenType.NORMAL && v.type(r) == TokenType.NORMAL) {
                    merges.add(new Merge(t.substring(0, k), t.substring(k), v.score(id), l, r));
                }
            }
        }
        merges.sort(Comparator.comparingDouble((Merge m) -> -m.score()).thenComparingInt(Merge::leftId).thenComparingInt(Merge::rightId));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("vocab", vocab);
        model.put("merges", merges.stream().map(m -> List.of(m.left(), m.right())).toList());
        model.put("byte_fallback", true);
        model.put("unk_token", "<unk>");
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("added_tokens", added);
        root.put("normalizer", Map.of("type", "Sequence", "normalizers", List.of(
                Map.of("type", "Prepend", "prepend", "\u2581"),
                Map.of("type", "Replace", "pattern", Map.of("String", " "), "content", "\u2581"))));
        root.put("pre_tokenizer", null);
        root.put("post_processor", Map.of("type", "TemplateProcessing", "single", List.of(
                Map.of("SpecialToken", Map.of("id", "<s>", "type_id", 0)), Map.of("Sequence", Map.of("id", "A", "type_id", 0)))));
        root.put("model", model);
        return Json.write(root);
    }

    /** A converter-style tokenizer.json for a WordPiece vocabulary stored the GGUF way. */
    static String wordPieceJson(Vocabulary v) {
        Map<String, Object> vocab = new LinkedHashMap<>();
        List<Map<String, Object>> added = new ArrayList<>();
        for (int id = 0; id < v.size(); id++) {
            String t = v.text(id);
            String hf = t.startsWith("\u2581") ? t.substring(1) : t.startsWith("[") && t.endsWith("]") ? t : "##" + t;
            vocab.put(hf, id);
            if (v.type(id) == TokenType.CONTROL) {
                added.add(Map.of("id", id, "content", t, "special", true));
            }
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("added_tokens", added);
        root.put("normalizer", Map.of("type", "BertNormalizer", "clean_text", true, "handle_chinese_chars", true,
                "lowercase", true));
        root.put("pre_tokenizer", Map.of("type", "BertPreTokenizer"));
        root.put("model", Map.of("type", "WordPiece", "unk_token", "[UNK]", "continuing_subword_prefix", "##",
                "max_input_chars_per_word", 100, "vocab", vocab));
        return Json.write(root);
    }
}
