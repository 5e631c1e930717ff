package dev.infera.core.tokenizer;

/**
 * Hand-written scanners for the split patterns that nearly every byte-level BPE model uses (GPT-2,
 * Llama 3 / GPT-4, Qwen 2, single digits). Each one produces exactly the pieces its regex would
 * (see {@code FastSplittersTest}) at a fraction of the cost of a backtracking regex engine. Character
 * classes follow the regex semantics: {@code \p{L}}, {@code \p{N}} are Unicode general categories,
 * {@code \s} is the Unicode White_Space property.
 */
final class FastSplitters {

    private FastSplitters() {
    }

    /** The scanner for a regex, or null when there is none and the regex engine must be used. */
    static PreTokenizer.Step forRegex(String regex) {
        return switch (regex) {
            case PreTokenizers.AFMOE_DIGITS -> FastSplitters::afmoeDigits;
            case PreTokenizers.GPT2 -> FastSplitters::gpt2;
            case PreTokenizers.LLAMA3 -> (text, from, to, ends) -> llama3(text, from, to, ends, 3);
            case PreTokenizers.QWEN2 -> (text, from, to, ends) -> llama3(text, from, to, ends, 1);
            case PreTokenizers.DIGITS -> FastSplitters::singleNumbers;
            default -> null;
        };
    }

    // Character classes of one code point, as bits.
    private static final int LETTER = 1;
    private static final int NUMBER = 2;
    private static final int SPACE = 4;
    private static final int OTHER = 8;

    private static int classOf(int cp) {
        if (cp < 0x80) {
            return ASCII_CLASS[cp];
        }
        if (isWhitespace(cp)) {
            return SPACE;
        }
        int t = Character.getType(cp);
        if (t >= Character.UPPERCASE_LETTER && t <= Character.OTHER_LETTER) {
            return LETTER;
        }
        if (t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER) {
            return NUMBER;
        }
        return OTHER;
    }

    private static final int[] ASCII_CLASS = new int[128];

    static {
        for (int c = 0; c < 128; c++) {
            ASCII_CLASS[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? LETTER
                    : c >= '0' && c <= '9' ? NUMBER
                    : (c >= 0x09 && c <= 0x0D) || c == ' ' ? SPACE
                    : OTHER;
        }
    }

    /** The class of the code point at {@code i}, or 0 at or past {@code to}. */
    private static int classAt(String text, int i, int to) {
        return i < to ? classOf(text.codePointAt(i)) : 0;
    }

    /** The end of the run of code points from {@code i} whose class is in {@code mask}. */
    private static int runEnd(String text, int i, int to, int mask) {
        while (i < to) {
            int cp = text.codePointAt(i);
            if ((classOf(cp) & mask) == 0) {
                break;
            }
            i += Character.charCount(cp);
        }
        return i;
    }

    /** Length of a contraction ('s 't 're 've 'm 'll 'd) at {@code i}, or 0; optionally ignoring case. */
    private static int contraction(String text, int i, int to, boolean ignoreCase) {
        if (text.charAt(i) != '\'' || i + 1 >= to) {
            return 0;
        }
        char a = fold(text.charAt(i + 1), ignoreCase);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
            return 2;
        }
        if (i + 2 < to) {
            char b = fold(text.charAt(i + 2), ignoreCase);
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
                return 3;
            }
        }
        return 0;
    }

    private static char fold(char c, boolean ignoreCase) {
        if (!ignoreCase) {
            return c;
        }
        if (c >= 'A' && c <= 'Z') {
            return (char) (c + 32);
        }
        return c == '\u017F' ? 's' : c; // LATIN SMALL LETTER LONG S folds to s
    }

    /** {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+} */
    static void gpt2(String text, int from, int to, IntList ends) {
        int pos = from;
        while (pos < to) {
            int c = text.codePointAt(pos);
            int k = contraction(text, pos, to, false);
            if (k > 0) {
                ends.add(pos += k);
                continue;
            }
            int cls = classOf(c);
            int start = pos;
            if (c == ' ') {
                int next = classAt(text, pos + 1, to);
                if (next == LETTER || next == NUMBER || next == OTHER) {
                    cls = next;
                    start = pos + 1;
                }
            }
            if (cls == LETTER || cls == NUMBER || cls == OTHER) {
                ends.add(pos = runEnd(text, start, to, cls));
                continue;
            }
            int e = runEnd(text, pos, to, SPACE);
            ends.add(pos = whitespaceRunMatch(pos, e, to));
        }
    }

    /**
     * {@code \s+(?!\S)|\s+} on the white-space run [pos, e): all of it at the end of the region,
     * otherwise all but its last character (left to start the next piece), unless it is only one long.
     * White-space characters are all in the BMP, one char each.
     */
    private static int whitespaceRunMatch(int pos, int e, int to) {
        return e == to || e - pos == 1 ? e : e - 1;
    }

    /**
     * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*
     * |\s*[\r\n]+|\s+(?!\S)|\s+} (Llama 3 with three digits per number piece, Qwen 2 with one).
     */
    static void llama3(String text, int from, int to, IntList ends, int maxDigits) {
        int pos = from;
        while (pos < to) {
            int c = text.codePointAt(pos);
            int len = Character.charCount(c);
            int k = contraction(text, pos, to, true);
            if (k > 0) {
                ends.add(pos += k);
                continue;
            }
            int cls = classOf(c);
            if (cls == LETTER) {
                ends.add(pos = runEnd(text, pos, to, LETTER));
                continue;
            }
            if (c != '\r' && c != '\n' && cls != NUMBER && classAt(text, pos + len, to) == LETTER) {
                ends.add(pos = runEnd(text, pos + len, to, LETTER));
                continue;
            }
            if (cls == NUMBER) {
                int n = 0;
                while (pos < to && n < maxDigits) {
                    int d = text.codePointAt(pos);
                    if (classOf(d) != NUMBER) {
                        break;
                    }
                    pos += Character.charCount(d);
                    n++;
                }
                ends.add(pos);
                continue;
            }
            int otherStart = cls == OTHER ? pos : c == ' ' && classAt(text, pos + 1, to) == OTHER ? pos + 1 : -1;
            if (otherStart >= 0) {
                int e = runEnd(text, otherStart, to, OTHER);
                while (e < to && (text.charAt(e) == '\r' || text.charAt(e) == '\n')) {
                    e++;
                }
                ends.add(pos = e);
                continue;
            }
            int e = runEnd(text, pos, to, SPACE);
            int lastNewline = -1;
            for (int i = pos; i < e; i++) {
                char ch = text.charAt(i);
                if (ch == '\r' || ch == '\n') {
                    lastNewline = i;
                }
            }
            if (lastNewline >= 0) {
                ends.add(pos = lastNewline + 1);
                continue;
            }
            ends.add(pos = whitespaceRunMatch(pos, e, to));
        }
    }

    /** {@code \p{N}}: every number character is its own piece, the text between them another. */
    static void singleNumbers(String text, int from, int to, IntList ends) {
        int pos = from;
        int last = from;
        while (pos < to) {
            int c = text.codePointAt(pos);
            int len = Character.charCount(c);
            if (classOf(c) == NUMBER) {
                if (pos > last) {
                    ends.add(pos);
                }
                ends.add(pos + len);
                last = pos + len;
            }
            pos += len;
        }
        if (last < to) {
            ends.add(to);
        }
    }

    /** Digit runs split into a leading group of (length mod 3) digits and then groups of three. */
    static void afmoeDigits(String text, int from, int to, IntList ends) {
        int pos = from;
        int last = from;
        while (pos < to) {
            int cp = text.codePointAt(pos);
            if (!isNumber(cp)) {
                pos += Character.charCount(cp);
                continue;
            }
            int runStart = pos;
            int digits = 0;
            int[] offsets = new int[8];
            while (pos < to) {
                int c = text.codePointAt(pos);
                if (!isNumber(c)) {
                    break;
                }
                if (digits == offsets.length) {
                    offsets = java.util.Arrays.copyOf(offsets, digits * 2);
                }
                offsets[digits++] = pos;
                pos += Character.charCount(c);
            }
            if (runStart > last) {
                ends.add(runStart);
            }
            int first = digits % 3;
            int k = first == 0 ? 3 : first;
            while (k < digits) {
                ends.add(offsets[k]);
                k += 3;
            }
            ends.add(pos);
            last = pos;
        }
        if (last < to) {
            ends.add(to);
        }
    }

    static boolean isNumber(int cp) {
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    static boolean isLetter(int cp) {
        int t = Character.getType(cp);
        return t >= Character.UPPERCASE_LETTER && t <= Character.OTHER_LETTER;
    }

    static boolean isWhitespace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }
}
