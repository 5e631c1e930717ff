package dev.infera.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.testing.SharedModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decoding: {@code decode(encode(x)) == x} for lossless tokenizers, and the streaming detokenizer's
 * deltas join to {@code decode()} without ever splitting a UTF-8 character.
 */
class DecodeTest {

    private static final String[] ATOMS = {"Hello", " world", "  ", " ", "\n", "\t", "\r\n", "é", "ß", "Москва", "東京",
        "日本語", "🦙", "😶\u200d🌫️", "🚀", "✅", "1234", "3.14", "'s", "'LL", "!!", "...", "\u00A0", "\u3000", "ſ",
        "a\u0301", "₿", "𝔘𝔫𝔦", "<|im_start|>", "</s>", "<0x41>", "[CLS]"};

    static List<String> samples(String tokenizerName) throws IOException {
        List<String> samples = new ArrayList<>(VocabTestFiles.cases(SharedModels.file("vocab/ggml-vocab-llama-spm.gguf.inp")));
        Random random = new Random(tokenizerName.hashCode());
        for (int i = 0; i < 300; i++) {
            StringBuilder sb = new StringBuilder();
            int n = random.nextInt(12);
            for (int k = 0; k < n; k++) {
                sb.append(ATOMS[random.nextInt(ATOMS.length)]);
            }
            samples.add(sb.toString());
        }
        return samples;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "gpt-2", "llama3", "qwen2", "smollm2", "tok512"})
    void decodeOfEncodeIsTheInput(String name) throws IOException {
        Tokenizer t = TestTokenizers.byName(name);
        for (String text : samples(name)) {
            String expected = name.equals("qwen2") ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
            assertThat(t.decode(t.encode(text, true, false))).as("%s round trip of %s", name, VocabTestFiles.escape(text))
                    .isEqualTo(expected);
            assertThat(t.decode(t.encode(text, false, false))).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "gpt-2", "llama3", "qwen2", "smollm2", "bert-bge", "tok512"})
    void streamingDeltasJoinToDecodeAndNeverSplitACharacter(String name) throws IOException {
        Tokenizer t = TestTokenizers.byName(name);
        for (String text : samples(name)) {
            int[] ids = t.encode(text, true, true);
            for (boolean renderSpecial : new boolean[] {false, true}) {
                StreamingDetokenizer d = t.newDetokenizer(renderSpecial);
                StringBuilder joined = new StringBuilder();
                for (int id : ids) {
                    String delta = d.accept(id);
                    assertWholeCharacters(delta);
                    joined.append(delta);
                }
                joined.append(d.flush());
                String decoded = t.decode(ids, renderSpecial);
                assertThat(joined.toString()).isEqualTo(decoded);
                assertThat(decoded).doesNotContain("\uFFFD");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "gpt-2", "llama3"})
    void streamingMatchesDecodeOnRandomIdsIncludingBrokenUtf8(String name) {
        Tokenizer t = TestTokenizers.byName(name);
        Random random = new Random(7);
        for (int i = 0; i < 300; i++) {
            int[] ids = new int[random.nextInt(20)];
            for (int k = 0; k < ids.length; k++) {
                // mostly the first 600 ids (byte tokens live there), sometimes anything
                ids[k] = random.nextInt(4) == 0 ? random.nextInt(t.vocabSize()) : random.nextInt(600);
            }
            StreamingDetokenizer d = t.newDetokenizer();
            StringBuilder joined = new StringBuilder();
            for (int id : ids) {
                String delta = d.accept(id);
                assertThat(delta.isEmpty() || !Character.isHighSurrogate(delta.charAt(delta.length() - 1))).isTrue();
                joined.append(delta);
            }
            joined.append(d.flush());
            assertThat(joined.toString()).isEqualTo(t.decode(ids));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-2", "llama-spm"})
    void emojiSplitAcrossByteTokensIsHeldBackUntilComplete(String name) {
        Tokenizer t = TestTokenizers.byName(name);
        int[] ids = t.encode("🦙", false, false);
        assertThat(ids.length).as("the emoji is spelled with byte tokens").isGreaterThan(1);
        StreamingDetokenizer d = t.newDetokenizer();
        List<String> deltas = new ArrayList<>();
        for (int id : ids) {
            deltas.add(d.accept(id));
        }
        assertThat(String.join("", deltas)).isEqualTo("🦙");
        assertThat(deltas.subList(0, deltas.size() - 1)).allMatch(s -> s.isEmpty() || !s.contains("🦙"));
        assertThat(deltas.get(deltas.size() - 1)).endsWith("🦙");
        assertThat(d.flush()).isEmpty();
    }

    private static void assertWholeCharacters(String delta) {
        assertThat(delta).doesNotContain("\uFFFD");
        if (!delta.isEmpty()) {
            assertThat(Character.isHighSurrogate(delta.charAt(delta.length() - 1))).as("ends in half a surrogate pair").isFalse();
            assertThat(new String(delta.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(delta);
        }
    }
}
