package dev.infera.core.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a byte-level BPE vocabulary of any size for synthetic models, deterministically.
 *
 * <p>Ids 0-255 are the 256 byte tokens. Then come merges learned by ordinary BPE training on a few
 * kilobytes of built-in English text and code (pre-tokenized the Llama 3 way; the most frequent
 * adjacent pair wins, ties to the smallest ids), until no pair occurs twice. If the requested size
 * needs more, tokens are constructed by appending a letter to existing tokens, in id order, so the
 * vocabulary has exactly the requested size and every token is reachable by a merge rule. The last
 * four ids are the special tokens {@code <|begin_of_text|>} (BOS), {@code <|end_of_text|>} (EOS),
 * {@code <|im_start|>} and {@code <|im_end|>}. The pre-tokenizer is {@code llama-bpe}.
 *
 * <p>The result is a real tokenizer: common words of the training text become single tokens.
 */
public final class SyntheticBpeVocabulary {

    public static final String PRE = "llama-bpe";
    static final String[] SPECIALS = {"<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>"};
    public static final int MIN_SIZE = 256 + SPECIALS.length;

    private SyntheticBpeVocabulary() {
    }

    /** A vocabulary of exactly {@code vocabSize} tokens. */
    public static Vocabulary build(int vocabSize) {
        if (vocabSize < MIN_SIZE) {
            throw new IllegalArgumentException("a synthetic byte-level vocabulary needs at least " + MIN_SIZE
                    + " tokens (256 bytes + " + SPECIALS.length + " special), got " + vocabSize);
        }
        int normalTokens = vocabSize - SPECIALS.length;
        List<String> texts = new ArrayList<>(vocabSize);
        Map<String, Integer> ids = new HashMap<>(vocabSize * 2);
        for (int b = 0; b < 256; b++) {
            add(texts, ids, String.valueOf(ByteLevel.charOf(b)));
        }
        List<String> merges = new ArrayList<>(normalTokens);
        learn(texts, ids, merges, normalTokens);
        construct(texts, ids, merges, normalTokens);
        TokenType[] types = new TokenType[vocabSize];
        java.util.Arrays.fill(types, TokenType.NORMAL);
        for (int i = 0; i < SPECIALS.length; i++) {
            types[texts.size()] = TokenType.CONTROL;
            add(texts, ids, SPECIALS[i]);
        }
        return Vocabulary.builder("gpt2", texts.toArray(String[]::new), types)
                .pre(PRE)
                .merges(merges.toArray(String[]::new))
                .special(SpecialTokenIds.NONE.withBos(normalTokens).withEos(normalTokens + 1))
                .addBos(true)
                .build();
    }

    private static void add(List<String> texts, Map<String, Integer> ids, String text) {
        ids.put(text, texts.size());
        texts.add(text);
    }

    /** BPE training on the built-in text until the budget is used or no pair occurs twice. */
    private static void learn(List<String> texts, Map<String, Integer> ids, List<String> merges, int budget) {
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        for (String piece : PreTokenizer.of(PreTokenizers.forName(PRE).regexes()).pieces(corpus())) {
            wordCounts.merge(piece, 1, Integer::sum);
        }
        List<int[]> words = new ArrayList<>(wordCounts.size());
        int[] counts = new int[wordCounts.size()];
        int w = 0;
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] symbols = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                symbols[i] = bytes[i] & 0xFF;
            }
            words.add(symbols);
            counts[w++] = e.getValue();
        }
        while (texts.size() < budget) {
            Map<Long, Integer> pairCounts = new HashMap<>();
            for (int i = 0; i < words.size(); i++) {
                int[] s = words.get(i);
                for (int k = 0; k + 1 < s.length; k++) {
                    pairCounts.merge(((long) s[k] << 32) | s[k + 1], counts[i], Integer::sum);
                }
            }
            long bestPair = -1;
            int bestCount = 1;
            for (Map.Entry<Long, Integer> e : pairCounts.entrySet()) {
                if (e.getValue() > bestCount || (e.getValue() == bestCount && bestPair >= 0 && e.getKey() < bestPair)) {
                    bestCount = e.getValue();
                    bestPair = e.getKey();
                }
            }
            if (bestPair < 0) {
                return;
            }
            int left = (int) (bestPair >>> 32);
            int right = (int) bestPair;
            String merged = texts.get(left) + texts.get(right);
            merges.add(texts.get(left) + " " + texts.get(right));
            Integer existing = ids.get(merged);
            int mergedId = existing != null ? existing : texts.size();
            if (existing == null) {
                add(texts, ids, merged);
            }
            for (int i = 0; i < words.size(); i++) {
                words.set(i, replacePair(words.get(i), left, right, mergedId));
            }
        }
    }

    private static int[] replacePair(int[] s, int left, int right, int merged) {
        int n = 0;
        int[] out = null;
        for (int k = 0; k < s.length; k++) {
            if (k + 1 < s.length && s[k] == left && s[k + 1] == right) {
                if (out == null) {
                    out = java.util.Arrays.copyOf(s, s.length);
                    n = k;
                }
                out[n++] = merged;
                k++;
            } else if (out != null) {
                out[n++] = s[k];
            }
        }
        return out == null ? s : java.util.Arrays.copyOf(out, n);
    }

    /** Fills the rest of the budget with existing tokens extended by one letter, in id order. */
    private static void construct(List<String> texts, Map<String, Integer> ids, List<String> merges, int budget) {
        int start = texts.size() > 256 ? 256 : 'a';
        for (int i = start; texts.size() < budget; i++) {
            String left = texts.get(i);
            for (char c = 'a'; c <= 'z' && texts.size() < budget; c++) {
                String text = left + c;
                if (!ids.containsKey(text)) {
                    merges.add(left + " " + c);
                    add(texts, ids, text);
                }
            }
        }
    }

    static String corpus() {
        try (InputStream in = SyntheticBpeVocabulary.class.getResourceAsStream("synthetic-bpe-corpus.txt")) {
            if (in == null) {
                throw new IllegalStateException("resource synthetic-bpe-corpus.txt is missing from the runtime-core jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
