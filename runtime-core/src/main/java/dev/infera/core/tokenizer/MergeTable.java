package dev.infera.core.tokenizer;

/**
 * The BPE merge rules as a primitive hash map from a pair of token ids (left, right) to the rank of
 * the rule (lower merges first) and the id of the merged token. Open addressing with linear probing
 * over parallel long arrays; no boxing, so lookups in the merge loop cost a multiply and a compare.
 */
final class MergeTable {

    static final long NONE = -1L;

    private final long[] keys;
    private final long[] values;
    private final int mask;
    private int size;

    MergeTable(int expectedSize) {
        int capacity = Integer.highestOneBit(Math.max(8, expectedSize * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        java.util.Arrays.fill(keys, -1L);
        mask = capacity - 1;
    }

    /** Adds a rule unless the pair already has one (the first, highest-priority rule for a pair wins). */
    boolean put(int left, int right, int rank, int merged) {
        if (left < 0 || right < 0 || rank < 0 || merged < 0) {
            throw new IllegalArgumentException("merge rule parts must be token ids and the rank non-negative");
        }
        long key = key(left, right);
        int slot = slot(key);
        while (keys[slot] != -1L) {
            if (keys[slot] == key) {
                return false;
            }
            slot = (slot + 1) & mask;
        }
        if (size * 2 >= keys.length) {
            throw new IllegalStateException("merge table is full");
        }
        keys[slot] = key;
        values[slot] = ((long) rank << 32) | (merged & 0xFFFFFFFFL);
        size++;
        return true;
    }

    /** {@code rank << 32 | mergedId} for the pair, or {@link #NONE}. */
    long get(int left, int right) {
        if (left < 0 || right < 0) {
            return NONE;
        }
        long key = key(left, right);
        int slot = slot(key);
        while (true) {
            long k = keys[slot];
            if (k == key) {
                return values[slot];
            }
            if (k == -1L) {
                return NONE;
            }
            slot = (slot + 1) & mask;
        }
    }

    int size() {
        return size;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int) h & mask;
    }
}
