package dev.infera.core.tokenizer;

/**
 * Finds token ids by their text given as a region of another string, or as two regions joined,
 * without building substrings. Used to resolve hundreds of thousands of merge rules ("left right")
 * quickly at load time.
 */
final class TextIndex {

    private final String[] texts;
    private final int[] slots; // id + 1, 0 = empty
    private final int mask;

    TextIndex(String[] texts) {
        this.texts = texts;
        int capacity = Integer.highestOneBit(Math.max(4, texts.length * 2 - 1)) << 1;
        slots = new int[capacity];
        mask = capacity - 1;
        for (int id = 0; id < texts.length; id++) {
            String t = texts[id];
            int slot = mix(hash(t, 0, t.length(), 0)) & mask;
            while (slots[slot] != 0) {
                if (texts[slots[slot] - 1].equals(t)) {
                    break;
                }
                slot = (slot + 1) & mask;
            }
            if (slots[slot] == 0) {
                slots[slot] = id + 1;
            }
        }
    }

    /** The id of {@code s[from, to)}, or -1. */
    int find(String s, int from, int to) {
        return find(s, from, to, to, to);
    }

    /** The id of the text {@code s[aFrom, aTo) + s[bFrom, bTo)}, or -1. */
    int find(String s, int aFrom, int aTo, int bFrom, int bTo) {
        int aLen = aTo - aFrom;
        int len = aLen + bTo - bFrom;
        int slot = mix(hash(s, bFrom, bTo, hash(s, aFrom, aTo, 0))) & mask;
        while (true) {
            int entry = slots[slot];
            if (entry == 0) {
                return -1;
            }
            String t = texts[entry - 1];
            if (t.length() == len && t.regionMatches(0, s, aFrom, aLen) && t.regionMatches(aLen, s, bFrom, bTo - bFrom)) {
                return entry - 1;
            }
            slot = (slot + 1) & mask;
        }
    }

    private static int hash(String s, int from, int to, int h) {
        for (int i = from; i < to; i++) {
            h = 31 * h + s.charAt(i);
        }
        return h;
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        return h;
    }
}
