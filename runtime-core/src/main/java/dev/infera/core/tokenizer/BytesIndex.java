package dev.infera.core.tokenizer;

import java.util.Arrays;

/**
 * Looks up token ids by a byte range without allocating: the hot path of every tokenizer here asks
 * "is bytes[from, to) a token, and which?" many times per input word.
 *
 * <p>All keys live back to back in one byte array with an offset table; an open-addressing table of
 * ids (linear probing, load factor at most 1/2) holds the hash positions. Keys that are not wanted in
 * lookups (control tokens, say) are simply not added. If two ids have the same bytes the first one
 * added wins.
 */
final class BytesIndex {

    private final byte[] keyBytes;
    private final int[] keyStart; // by id; keyStart[id + 1] is the end
    private final int[] slots;    // id + 1, 0 = empty
    private final int mask;

    /**
     * @param keys    bytes of each id (null entries are left out of the index)
     */
    BytesIndex(byte[][] keys) {
        int total = 0;
        int count = 0;
        for (byte[] k : keys) {
            if (k != null) {
                total += k.length;
                count++;
            }
        }
        keyBytes = new byte[total];
        keyStart = new int[keys.length + 1];
        int at = 0;
        for (int id = 0; id < keys.length; id++) {
            keyStart[id] = at;
            if (keys[id] != null) {
                System.arraycopy(keys[id], 0, keyBytes, at, keys[id].length);
                at += keys[id].length;
            }
        }
        keyStart[keys.length] = at;
        int capacity = Integer.highestOneBit(Math.max(4, count * 2 - 1)) << 1;
        slots = new int[capacity];
        mask = capacity - 1;
        for (int id = 0; id < keys.length; id++) {
            if (keys[id] == null) {
                continue;
            }
            int slot = hash(keys[id], 0, keys[id].length) & mask;
            while (true) {
                int existing = slots[slot];
                if (existing == 0) {
                    slots[slot] = id + 1;
                    break;
                }
                if (equalsKey(existing - 1, keys[id], 0, keys[id].length)) {
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
    }

    /** The id whose bytes equal {@code bytes[from, to)}, or -1. */
    int find(byte[] bytes, int from, int to) {
        int slot = hash(bytes, from, to) & mask;
        while (true) {
            int entry = slots[slot];
            if (entry == 0) {
                return -1;
            }
            if (equalsKey(entry - 1, bytes, from, to)) {
                return entry - 1;
            }
            slot = (slot + 1) & mask;
        }
    }

    int find(byte[] bytes) {
        return find(bytes, 0, bytes.length);
    }

    private boolean equalsKey(int id, byte[] bytes, int from, int to) {
        int s = keyStart[id];
        int len = to - from;
        if (keyStart[id + 1] - s != len) {
            return false;
        }
        if (len > 16) {
            return Arrays.equals(keyBytes, s, s + len, bytes, from, to);
        }
        for (int i = 0; i < len; i++) {
            if (keyBytes[s + i] != bytes[from + i]) {
                return false;
            }
        }
        return true;
    }

    private static int hash(byte[] bytes, int from, int to) {
        int h = 0x811C9DC5;
        for (int i = from; i < to; i++) {
            h = (h ^ bytes[i]) * 0x01000193;
        }
        return h ^ (h >>> 15);
    }
}
