package dev.infera.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each hand-written scanner must split exactly as its regex does, on random text of every character kind. */
class FastSplittersTest {

    private static final String[] ATOMS = {
        "a", "Z", "é", "ß", "Ж", "я", "中", "文", "ア", "ـ", "ſ", "K", "\u0301", "\u0903",
        "0", "7", "½", "٣", "Ⅻ", "²",
        " ", " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\u00A0", "\u3000", "\u2003", "\u000B", "\u0085",
        "'", "'s", "'S", "'ll", "'LL", "'ve", "'Re", "'d", "'m", "'t", "'ſ", "'x",
        "!", ".", ",", "-", "\"", "(", "<", "$", "~", "…", "—", "【",
        "🦙", "😁", "\uD83C", "\u200D", "\uFE0F",
    };

    @ParameterizedTest
    @ValueSource(strings = {"gpt-2", "llama3", "qwen2", "smollm", "afmoe"})
    void scannersSplitLikeTheirRegexes(String preName) {
        List<String> regexes = PreTokenizers.forName(preName).regexes();
        PreTokenizer fast = PreTokenizer.of(regexes);
        PreTokenizer reference = PreTokenizer.regexOnly(regexes);
        Random random = new Random(preName.hashCode());
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder();
            int n = random.nextInt(24);
            for (int k = 0; k < n; k++) {
                sb.append(ATOMS[random.nextInt(ATOMS.length)]);
            }
            String text = sb.toString();
            assertThat(fast.pieces(text)).as("pieces of %s", VocabTestFiles.escape(text))
                    .isEqualTo(reference.pieces(text));
            assertThat(String.join("", fast.pieces(text))).isEqualTo(text);
        }
    }
}
