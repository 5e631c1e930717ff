package dev.infera.core.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Cuts special tokens written literally in the input out of it before the model's algorithm sees
 * the text. Tokens are tried longest first; each one splits every remaining text fragment at each of
 * its occurrences, so where candidates overlap the longer one wins, wherever it starts. A token marked
 * LSTRIP/RSTRIP also swallows ASCII whitespace on that side.
 *
 * <p>Two candidate lists are kept: with special parsing on, control, user-defined and unknown tokens;
 * with it off, user-defined tokens only.
 */
final class SpecialTokenSplitter {

    /** A piece of the input: text {@code [start, end)} when {@code tokenId < 0}, else a special token. */
    record Fragment(int start, int end, int tokenId) {
        boolean isText() {
            return tokenId < 0;
        }
    }

    private final Vocabulary vocab;
    private final int[] allSpecial;
    private final int[] userDefined;

    SpecialTokenSplitter(Vocabulary vocab) {
        this.vocab = vocab;
        List<Integer> all = new ArrayList<>();
        List<Integer> user = new ArrayList<>();
        for (int id = 0; id < vocab.size(); id++) {
            TokenType t = vocab.type(id);
            if (t.isSpecial()) {
                all.add(id);
                if (t == TokenType.USER_DEFINED) {
                    user.add(id);
                }
            }
        }
        Comparator<Integer> longestFirst = Comparator.<Integer>comparingInt(id -> -vocab.text(id).length())
                .thenComparingInt(id -> id);
        all.sort(longestFirst);
        user.sort(longestFirst);
        this.allSpecial = all.stream().mapToInt(Integer::intValue).toArray();
        this.userDefined = user.stream().mapToInt(Integer::intValue).toArray();
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(new Fragment(0, text.length(), -1));
        for (int id : parseSpecial ? allSpecial : userDefined) {
            String special = vocab.text(id);
            if (text.indexOf(special) < 0) {
                continue;
            }
            byte strip = vocab.stripFlags(id);
            List<Fragment> next = new ArrayList<>(fragments.size() + 4);
            for (Fragment f : fragments) {
                if (!f.isText()) {
                    next.add(f);
                    continue;
                }
                splitFragment(text, f.start(), f.end(), special, id, strip, next);
            }
            fragments = next;
        }
        return fragments;
    }

    private static void splitFragment(String text, int start, int end, String special, int id, byte strip,
                                      List<Fragment> out) {
        int from = start;
        while (from < end) {
            int match = text.indexOf(special, from);
            if (match < 0 || match + special.length() > end) {
                break;
            }
            int leftEnd = match;
            if ((strip & Vocabulary.LSTRIP) != 0) {
                while (leftEnd > from && isAsciiSpace(text.charAt(leftEnd - 1))) {
                    leftEnd--;
                }
            }
            if (leftEnd > from) {
                out.add(new Fragment(from, leftEnd, -1));
            }
            out.add(new Fragment(match, match + special.length(), id));
            from = match + special.length();
            if ((strip & Vocabulary.RSTRIP) != 0) {
                while (from < end && isAsciiSpace(text.charAt(from))) {
                    from++;
                }
            }
        }
        if (from < end) {
            out.add(new Fragment(from, end, -1));
        }
    }

    private static boolean isAsciiSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
