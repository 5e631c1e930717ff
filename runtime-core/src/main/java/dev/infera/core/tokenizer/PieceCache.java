package dev.infera.core.tokenizer;

import java.util.Arrays;

/**
 * Remembers the token ids of recently encoded short pieces (words, mostly), keyed by their bytes, so a
 * word that comes back skips the merge loop. Natural text repeats its words a lot, which makes this
 * worth about a factor of two.
 *
 * <p>Direct-mapped: a piece has one slot, chosen by its hash, and a new piece simply replaces the old
 * one. Shared by all threads without locks: an entry is immutable and published through one array
 * store, so a reader sees either a whole old entry, a whole new one or none, and it checks the key
 * before using the ids. Memory stays bounded (slots times a short key and a few ids).
 */
final class PieceCache {

    static final int MAX_KEY_BYTES = 32;
    private static final int SLOTS = 1 << 14;

    private record Entry(byte[] key, int[] ids) {
    }

    private final Entry[] slots = new Entry[SLOTS];

    static int hash(byte[] bytes, int from, int to) {
        int h = 0x811C9DC5;
        for (int i = from; i < to; i++) {
            h = (h ^ bytes[i]) * 0x01000193;
        }
        return h ^ (h >>> 16);
    }

    /** The cached ids of {@code bytes[from, to)}, or null. */
    int[] get(byte[] bytes, int from, int to, int hash) {
        Entry e = slots[hash & (SLOTS - 1)];
        if (e == null || e.key.length != to - from) {
            return null;
        }
        byte[] key = e.key;
        for (int i = 0; i < key.length; i++) {
            if (key[i] != bytes[from + i]) {
                return null;
            }
        }
        return e.ids;
    }

    void put(byte[] bytes, int from, int to, int hash, int[] ids) {
        slots[hash & (SLOTS - 1)] = new Entry(Arrays.copyOfRange(bytes, from, to), ids);
    }
}
