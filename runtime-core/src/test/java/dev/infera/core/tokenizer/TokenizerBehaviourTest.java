package dev.infera.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.ModelFormatException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Special tokens, add-BOS/EOS flags, pre-tokenizer names and error reporting. */
class TokenizerBehaviourTest {

    @Test
    void addSpecialPutsBosWhereTheVocabularyAsks() {
        assertThat(TestTokenizers.llamaSpm().encode("Hello")).containsExactly(1, 15043);
        assertThat(TestTokenizers.llamaSpm().encode("")).containsExactly(1);
        assertThat(TestTokenizers.llama3().encode("Hello")).startsWith(128000);
        assertThat(TestTokenizers.qwen2().encode("Hello", true, false)).isEqualTo(TestTokenizers.qwen2().encode("Hello", false, false));
        int[] bert = TestTokenizers.bert().encode("hello world");
        assertThat(bert[0]).isEqualTo(101);
        assertThat(bert[bert.length - 1]).isEqualTo(102);
    }

    @Test
    void specialTokensParseOnlyWhenAsked() {
        Tokenizer qwen = TestTokenizers.qwen2();
        String chat = "<|im_start|>user\nhi<|im_end|>";
        int[] parsed = qwen.encode(chat, false, true);
        assertThat(parsed[0]).isEqualTo(151644);
        assertThat(parsed[parsed.length - 1]).isEqualTo(151645);
        int[] literal = qwen.encode(chat, false, false);
        assertThat(literal).doesNotContain(151644, 151645);
        assertThat(qwen.decode(literal)).isEqualTo(chat);
        assertThat(qwen.decode(parsed)).isEqualTo("user\nhi");
        assertThat(qwen.decode(parsed, true)).isEqualTo(chat);
    }

    @Test
    void spmPutsTheSpacePrefixAfterEverySpecialToken() {
        Tokenizer spm = TestTokenizers.llamaSpm();
        int[] ids = spm.encode("Hello</s>Hello", false, true);
        assertThat(ids).containsExactly(15043, 2, 15043);
    }

    @Test
    void encodingFromManyThreadsAtOnceGivesTheSameIds() throws Exception {
        List<String> texts = DecodeTest.samples("threads");
        for (Tokenizer t : List.of(TestTokenizers.llama3(), TestTokenizers.llamaSpm(), TestTokenizers.bert())) {
            List<int[]> expected = texts.stream().map(t::encode).toList();
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
                List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
                for (int worker = 0; worker < 4; worker++) {
                    int offset = worker;
                    results.add(pool.submit(() -> {
                        for (int i = 0; i < texts.size(); i++) {
                            int k = (i + offset * 37) % texts.size();
                            if (!java.util.Arrays.equals(t.encode(texts.get(k)), expected.get(k))) {
                                return false;
                            }
                        }
                        return true;
                    }));
                }
                for (var r : results) {
                    assertThat(r.get()).isTrue();
                }
            }
        }
    }

    @Test
    void endOfGenerationTokens() {
        assertThat(TestTokenizers.llama3().eogIds()).contains(128001, 128009);
        assertThat(TestTokenizers.llama3().isEog(128009)).isTrue();
        assertThat(TestTokenizers.qwen2().isEog(151645)).isTrue();
        assertThat(TestTokenizers.llamaSpm().eogIds()).containsExactly(2);
        assertThat(TestTokenizers.llama3().tokenText(128009)).isEqualTo("<|eot_id|>");
    }

    @Test
    void tokenBytesAreTheDecodedPiece() {
        Tokenizer gpt2 = TestTokenizers.gpt2();
        int id = gpt2.encode(" hello", false, false)[0];
        assertThat(gpt2.tokenText(id)).isEqualTo("Ġhello");
        assertThat(new String(gpt2.tokenBytes(id), StandardCharsets.UTF_8)).isEqualTo(" hello");
        Tokenizer spm = TestTokenizers.llamaSpm();
        assertThat(spm.tokenBytes(spm.vocabulary().id("<0x0A>"))).containsExactly((byte) '\n');
        assertThatThrownBy(() -> spm.tokenBytes(32000)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32000");
        assertThatThrownBy(() -> spm.decode(new int[] {-1})).isInstanceOf(IllegalArgumentException.class);
    }

    static List<String> preNames() {
        return PreTokenizers.names();
    }

    @ParameterizedTest
    @MethodSource("preNames")
    void everyPreTokenizerNameSplitsLosslessly(String name) {
        PreTokenizers.Config c = PreTokenizers.forName(name);
        PreTokenizer p = PreTokenizer.of(c.regexes());
        String text = "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～ 3.14  \n\n\t x=1; IMGIMGABZ <sentinel:12> ▁a";
        List<String> pieces = p.pieces(text);
        assertThat(String.join("", pieces)).isEqualTo(text);
        assertThat(pieces).allMatch(s -> !s.isEmpty());
        assertThat(pieces.size()).isGreaterThan(2);
    }

    @Test
    void preTokenizerSplitsAsTheReferenceDoes() {
        assertThat(PreTokenizer.of(PreTokenizers.forName("llama3").regexes()).pieces("Hello world  3333 'LL\n\n x"))
                .containsExactly("Hello", " world", " ", " ", "333", "3", " '", "LL", "\n\n", " x");
        assertThat(PreTokenizer.of(PreTokenizers.forName("gpt-2").regexes()).pieces("I'll  go!!"))
                .containsExactly("I", "'ll", " ", " go", "!!");
        assertThat(PreTokenizer.of(PreTokenizers.forName("superbpe").regexes()).pieces("x1234567"))
                .containsExactly("x", "1", "234", "567");
        assertThat(PreTokenizer.of(PreTokenizers.forName("deepseek-llm").regexes()).pieces("a  \nb"))
                .containsExactly("a", "  ", "\n", "b");
    }

    @Test
    void unknownPreTokenizerIsAModelFormatErrorNamingIt() {
        assertThatThrownBy(() -> PreTokenizers.forName("no-such-pre"))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("'no-such-pre'");
        Vocabulary v = TestTokenizers.gpt2().vocabulary().toBuilder().pre("no-such-pre").build();
        assertThatThrownBy(() -> Tokenizers.fromVocabulary(v))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("no-such-pre");
    }

    @Test
    void vocabularyValidation() {
        assertThatThrownBy(() -> Vocabulary.builder("gpt2", new String[] {"a", "a"}, new TokenType[2]).build())
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("duplicate token");
        assertThatThrownBy(() -> Vocabulary.builder("gpt2", new String[] {"a", "b"}, new TokenType[1]).build())
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("token types");
        Vocabulary v = Vocabulary.builder("llama", new String[] {"a", ""}, new TokenType[2])
                .special(SpecialTokenIds.NONE.withBos(7)).build();
        assertThat(v.text(1)).isEqualTo("[EMPTY_1]");
        assertThat(v.special().bos()).isEqualTo(-1);
        assertThatThrownBy(() -> Tokenizers.fromVocabulary(Vocabulary.builder("t5", new String[] {"a"}, new TokenType[1]).build()))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("t5");
    }
}
