package dev.infera.core.engine.kv;

import java.util.Arrays;

/**
 * The prefix cache's lookup table: a 64-bit block hash to the id of the block holding that content.
 * Open addressing with linear probing over two parallel arrays, deletion by backward shift (no
 * tombstones), so lookups stay short however often blocks are evicted and nothing is allocated per
 * entry. Capacity is fixed at construction (a power of two at least twice the block count), since
 * there can never be more entries than blocks.
 */
final class BlockIndex {

    private static final int EMPTY = -1;

    private final long[] keys;
    private final int[] values;
    private final int mask;
    private int size;

    BlockIndex(int maxEntries) {
        int capacity = Integer.highestOneBit(Math.max(4, maxEntries) * 2 - 1) << 1;
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(values, EMPTY);
        mask = capacity - 1;
    }

    int size() {
        return size;
    }

    /** The block stored under {@code key}, or -1. */
    int get(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            int v = values[i];
            if (v == EMPTY) {
                return EMPTY;
            }
            if (keys[i] == key) {
                return v;
            }
        }
    }

    /** Stores {@code block} under {@code key} unless the key is taken; returns whether it was stored. */
    boolean putIfAbsent(long key, int block) {
        int i = slot(key);
        for (; values[i] != EMPTY; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return false;
            }
        }
        keys[i] = key;
        values[i] = block;
        size++;
        return true;
    }

    /** Removes the entry for {@code key} if it maps to {@code block}; returns whether it did. */
    boolean remove(long key, int block) {
        int i = slot(key);
        for (; values[i] != EMPTY; i = (i + 1) & mask) {
            if (keys[i] == key) {
                if (values[i] != block) {
                    return false;
                }
                shiftBack(i);
                size--;
                return true;
            }
        }
        return false;
    }

    /** Fills the hole at {@code hole} with later entries of its probe run, so no lookup stops early. */
    private void shiftBack(int hole) {
        int i = hole;
        while (true) {
            i = (i + 1) & mask;
            if (values[i] == EMPTY) {
                values[hole] = EMPTY;
                return;
            }
            int home = slot(keys[i]);
            boolean movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                hole = i;
            }
        }
    }

    private int slot(long key) {
        return (int) ((key ^ (key >>> 29)) & mask);
    }
}
