package dev.infera.core.sampling;

/**
 * Packs a (value, token id) pair into one {@code long} whose natural order is "larger value first,
 * then lower token id first", so that candidate tokens can be selected and ordered with primitive
 * heaps on reusable arrays: no boxing, no comparator, no allocation per token.
 *
 * <p>The high 32 bits are the float's bits mapped to an int with the same order as the float (negative
 * values have their magnitude bits flipped); the low 32 bits are the complement of the token id, so
 * that of two equal values the lower id has the larger key. NaN must not be packed.
 *
 * <p>Two heap disciplines are offered: {@link #selectLargest} keeps the k largest keys of a scan in a
 * bounded min-heap (O(n) compares when k is small, since most values lose against the heap's minimum
 * at once) and returns them sorted; {@link #heapifyMax}/{@link #popMax} let a caller take keys largest
 * first only as far as it needs (a sorted prefix instead of a full sort).
 */
final class RankedKeys {

    private RankedKeys() {
    }

    static long key(float value, int tokenId) {
        int bits = Float.floatToRawIntBits(value);
        int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF);
        return ((long) ordered << 32) | (~tokenId & 0xFFFFFFFFL);
    }

    static float value(long key) {
        int ordered = (int) (key >> 32);
        return Float.intBitsToFloat(ordered ^ ((ordered >> 31) & 0x7FFFFFFF));
    }

    static int tokenId(long key) {
        return ~(int) key;
    }

    /** Writes the keys of every {@code values[i] >= floor}, i in [0, n), to {@code out} in index order. */
    static int gather(float[] values, int n, float floor, long[] out) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            float v = values[i];
            if (v >= floor) {
                out[count++] = key(v, i);
            }
        }
        return count;
    }

    /**
     * Writes to {@code out[0..count)}, largest first, the keys of the {@code k} largest values among
     * {@code values[0..n)} that are {@code >= floor} (ties: lower index first); returns count.
     */
    static int selectLargest(float[] values, int n, int k, float floor, long[] out) {
        if (k <= 0) {
            return 0;
        }
        int size = 0;
        float heapMinValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float v = values[i];
            if (!(v >= floor)) {
                continue;
            }
            if (size < k) {
                out[size] = key(v, i);
                siftUpMin(out, size);
                size++;
                heapMinValue = value(out[0]);
            } else if (v > heapMinValue) {
                // Scanning in index order, an equal value never beats the minimum: its id is larger.
                out[0] = key(v, i);
                siftDownMin(out, 0, size);
                heapMinValue = value(out[0]);
            }
        }
        for (int end = size - 1; end > 0; end--) {
            long min = out[0];
            out[0] = out[end];
            out[end] = min;
            siftDownMin(out, 0, end);
        }
        return size;
    }

    /** Arranges {@code keys[0..n)} as a max-heap. */
    static void heapifyMax(long[] keys, int n) {
        for (int i = (n >>> 1) - 1; i >= 0; i--) {
            siftDownMax(keys, i, n);
        }
    }

    /** Removes and returns the largest key of the max-heap {@code keys[0..n)}; the heap then has n - 1 keys. */
    static long popMax(long[] keys, int n) {
        long top = keys[0];
        keys[0] = keys[n - 1];
        siftDownMax(keys, 0, n - 1);
        return top;
    }

    private static void siftUpMin(long[] heap, int index) {
        long x = heap[index];
        while (index > 0) {
            int parent = (index - 1) >>> 1;
            if (heap[parent] <= x) {
                break;
            }
            heap[index] = heap[parent];
            index = parent;
        }
        heap[index] = x;
    }

    private static void siftDownMin(long[] heap, int index, int size) {
        long x = heap[index];
        int half = size >>> 1;
        while (index < half) {
            int child = 2 * index + 1;
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (x <= heap[child]) {
                break;
            }
            heap[index] = heap[child];
            index = child;
        }
        heap[index] = x;
    }

    private static void siftDownMax(long[] heap, int index, int size) {
        long x = heap[index];
        int half = size >>> 1;
        while (index < half) {
            int child = 2 * index + 1;
            if (child + 1 < size && heap[child + 1] > heap[child]) {
                child++;
            }
            if (x >= heap[child]) {
                break;
            }
            heap[index] = heap[child];
            index = child;
        }
        heap[index] = x;
    }
}
