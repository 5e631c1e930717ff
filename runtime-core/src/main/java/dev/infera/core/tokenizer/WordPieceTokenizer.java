package dev.infera.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * WordPiece (GGUF {@code tokenizer.ggml.model = bert}): BERT and the embedding models built on it.
 *
 * <p>Normalization as BERT does it: drop NUL, U+FFFD and other control/format characters, turn white
 * space into spaces, put spaces around CJK ideographs, optionally strip accents (NFD, then drop
 * nonspacing marks) and lowercase. Words are split at white space and every punctuation character
 * (ASCII punctuation and symbols, Unicode P*) stands alone. Each word then becomes the longest
 * vocabulary entries from the left; a word that cannot be covered, or is longer than 100 characters,
 * becomes the unknown token.
 *
 * <p>Vocabulary convention (as in GGUF): word-initial pieces carry a U+2581 prefix ({@code ▁play}),
 * continuation pieces none ({@code ing}); tokenizer.json's {@code ##ing} form is converted on load.
 */
final class WordPieceTokenizer extends AbstractTokenizer {

    static final int MAX_INPUT_CHARS_PER_WORD = 100;

    private final int maxTokenChars;

    WordPieceTokenizer(Vocabulary vocab) {
        super(vocab, id -> vocab.text(id).replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8));
        int max = 1;
        for (int id = 0; id < vocab.size(); id++) {
            max = Math.max(max, vocab.text(id).length());
        }
        this.maxTokenChars = max;
    }

    @Override
    boolean stripsFirstSpace() {
        return true;
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        for (String word : words(normalize(text))) {
            encodeWord(word, out);
        }
    }

    private void encodeWord(String word, IntList out) {
        if (word.codePointCount(0, word.length()) > MAX_INPUT_CHARS_PER_WORD) {
            addUnknown(out);
            return;
        }
        String w = "\u2581" + word;
        int n = w.length();
        IntList pieces = new IntList(4);
        int i = 0;
        while (i < n) {
            int found = -1;
            int end = -1;
            for (int j = Math.min(n, i + maxTokenChars); j > i; j--) {
                if (j < n && Character.isLowSurrogate(w.charAt(j)) && Character.isHighSurrogate(w.charAt(j - 1))) {
                    continue; // never cut a surrogate pair
                }
                int id = vocab.id(w.substring(i, j));
                if (id >= 0) {
                    found = id;
                    end = j;
                    break;
                }
            }
            if (found < 0) {
                addUnknown(out);
                return;
            }
            pieces.add(found);
            i = end;
        }
        for (int k = 0; k < pieces.size(); k++) {
            out.add(pieces.get(k));
        }
    }

    private void addUnknown(IntList out) {
        int unk = vocab.special().unk();
        if (unk >= 0) {
            out.add(unk);
        }
    }

    /** BERT normalization of a whole fragment. */
    String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                continue;
            }
            if (isWhitespace(cp)) {
                sb.append(' ');
            } else if (isChinese(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        }
        String s = sb.toString();
        if (vocab.stripAccents()) {
            String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
            StringBuilder stripped = new StringBuilder(nfd.length());
            for (int i = 0; i < nfd.length(); ) {
                int cp = nfd.codePointAt(i);
                i += Character.charCount(cp);
                if (Character.getType(cp) != Character.NON_SPACING_MARK) {
                    stripped.appendCodePoint(cp);
                }
            }
            s = stripped.toString();
        }
        if (vocab.lowercase()) {
            StringBuilder lower = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                i += Character.charCount(cp);
                if (cp < 0x80) {
                    lower.append((char) (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
                } else {
                    lower.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
                }
            }
            s = lower.toString();
        }
        return s;
    }

    /** Splits normalized text at white space and isolates punctuation. */
    static List<String> words(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (isWhitespace(cp)) {
                flush(word, words);
            } else if (isPunctuation(cp)) {
                flush(word, words);
                words.add(new String(Character.toChars(cp)));
            } else {
                word.appendCodePoint(cp);
            }
        }
        flush(word, words);
        return words;
    }

    private static void flush(StringBuilder word, List<String> words) {
        if (!word.isEmpty()) {
            words.add(word.toString());
            word.setLength(0);
        }
    }

    static boolean isWhitespace(int cp) {
        return FastSplitters.isWhitespace(cp);
    }

    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE
                || t == Character.PRIVATE_USE || t == Character.UNASSIGNED;
    }

    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION
                || t == Character.START_PUNCTUATION || t == Character.END_PUNCTUATION
                || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
