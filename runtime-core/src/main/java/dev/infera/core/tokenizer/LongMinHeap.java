package dev.infera.core.tokenizer;

import java.util.Arrays;

/**
 * A binary min-heap of (key, payload) long pairs, reused across calls. The merge loops pack their
 * ordering into the key (rank or score in the high half, left position in the low half) so the top is
 * always the next merge to try, ties going to the leftmost pair.
 */
final class LongMinHeap {

    private long[] keys = new long[64];
    private long[] payloads = new long[64];
    private int size;

    void clear() {
        size = 0;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(long key, long payload) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            payloads = Arrays.copyOf(payloads, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) {
                break;
            }
            keys[i] = keys[parent];
            payloads[i] = payloads[parent];
            i = parent;
        }
        keys[i] = key;
        payloads[i] = payload;
    }

    long topKey() {
        return keys[0];
    }

    long topPayload() {
        return payloads[0];
    }

    void pop() {
        size--;
        if (size == 0) {
            return;
        }
        long key = keys[size];
        long payload = payloads[size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && keys[child + 1] < keys[child]) {
                child++;
            }
            if (keys[child] >= key) {
                break;
            }
            keys[i] = keys[child];
            payloads[i] = payloads[child];
            i = child;
        }
        keys[i] = key;
        payloads[i] = payload;
    }
}
