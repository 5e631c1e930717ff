package dev.infera.core.tokenizer;

import java.util.Arrays;

/** A growable list of ints without boxing, for collecting token ids. */
final class IntList {

    private int[] values;
    private int size;

    IntList(int capacity) {
        values = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = v;
    }

    int size() {
        return size;
    }

    int get(int i) {
        return values[i];
    }

    void addAll(int[] ids) {
        if (size + ids.length > values.length) {
            values = Arrays.copyOf(values, Math.max(values.length * 2, size + ids.length));
        }
        System.arraycopy(ids, 0, values, size, ids.length);
        size += ids.length;
    }

    /** A copy of the elements from {@code from} to the end. */
    int[] tail(int from) {
        return Arrays.copyOfRange(values, from, size);
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
