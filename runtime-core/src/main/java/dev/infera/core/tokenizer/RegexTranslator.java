package dev.infera.core.tokenizer;

import dev.infera.api.ModelFormatException;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Translates a pre-tokenizer regex as tokenizer files write it (Oniguruma syntax, as used by Hugging
 * Face tokenizers) into an equivalent {@link Pattern}.
 *
 * <p>The differences that matter: {@code \s} there means Unicode white space (Java: ASCII only), so it
 * becomes {@code \p{IsWhite_Space}}; case-insensitive groups fold Unicode case ({@code (?i:} becomes
 * {@code (?iu:}); {@code $} means end of line, i.e. before a {@code \n} or at the end; {@code \p{Han}}
 * is the Han script. Category classes ({@code \p{L}}, {@code \p{N}}, {@code \p{P}} ...), possessive
 * quantifiers, lookahead and class intersection ({@code &&}) mean the same in both.
 */
final class RegexTranslator {

    private RegexTranslator() {
    }

    static Pattern compile(String regex) {
        try {
            return Pattern.compile(toJava(regex));
        } catch (PatternSyntaxException e) {
            throw new ModelFormatException("pre-tokenizer regex cannot be compiled: " + regex + " (" + e.getDescription() + ")", e);
        }
    }

    static String toJava(String regex) {
        StringBuilder out = new StringBuilder(regex.length() + 32);
        int classDepth = 0;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                char e = regex.charAt(i + 1);
                if (e == 's') {
                    out.append("\\p{IsWhite_Space}");
                } else if (e == 'S') {
                    out.append("\\P{IsWhite_Space}");
                } else if (e == 'p' && regex.startsWith("{Han}", i + 2)) {
                    out.append("\\p{IsHan}");
                    i += 5;
                } else {
                    out.append(c).append(e);
                }
                i++;
                continue;
            }
            if (c == '[') {
                classDepth++;
            } else if (c == ']' && classDepth > 0) {
                classDepth--;
            } else if (classDepth == 0) {
                if (c == '(' && regex.startsWith("(?i:", i)) {
                    out.append("(?iu:");
                    i += 3;
                    continue;
                }
                if (c == '(' && regex.startsWith("(?i)", i)) {
                    out.append("(?iu)");
                    i += 3;
                    continue;
                }
                if (c == '$') {
                    out.append("(?=\\n|\\z)");
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }
}
