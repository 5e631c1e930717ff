package dev.infera.core.engine.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * The KV cache's blocks as bookkeeping: a reference count per block, the free blocks in an LRU list,
 * and the prefix-cache identity of blocks whose content is known.
 *
 * <p>Invariants: a block is in the free list exactly when its reference count is 0. The list is
 * intrusive ({@code prev}/{@code next} int arrays, -1 for none), so moving a block in or out costs
 * O(1) and allocates nothing. New blocks are taken from the head. A released block that holds cached
 * content goes to the tail (least recently used blocks are reused first); one without cached content
 * goes to the head, since keeping it buys nothing. A cached block in the free list keeps its content
 * and its index entry until the moment it is reused (lazy eviction), so a later request with the same
 * prefix can take it back.
 *
 * <p>A block's identity is its 128-bit hash, its parent's hash, its salt and its tokens; a lookup
 * checks all of them, so a hash collision can never hand a request the wrong KV.
 */
final class BlockPool {

    private static final int NONE = -1;

    private final int numBlocks;
    private final int blockSize;
    private final int[] refCounts;
    private final int[] prev;
    private final int[] next;
    private int head = NONE;
    private int tail = NONE;
    private int numFree;

    private final boolean[] cached;
    private final long[] hashLo;
    private final long[] hashHi;
    private final long[] parentLo;
    private final long[] parentHi;
    private final String[] salts;
    private final int[] tokens;
    private final BlockIndex index;

    BlockPool(int numBlocks, int blockSize) {
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        refCounts = new int[numBlocks];
        prev = new int[numBlocks];
        next = new int[numBlocks];
        cached = new boolean[numBlocks];
        hashLo = new long[numBlocks];
        hashHi = new long[numBlocks];
        parentLo = new long[numBlocks];
        parentHi = new long[numBlocks];
        salts = new String[numBlocks];
        tokens = new int[Math.multiplyExact(numBlocks, blockSize)];
        index = new BlockIndex(numBlocks);
        Arrays.fill(prev, NONE);
        Arrays.fill(next, NONE);
        for (int b = 0; b < numBlocks; b++) {
            appendTail(b);
        }
    }

    int numBlocks() {
        return numBlocks;
    }

    int numFree() {
        return numFree;
    }

    int refCount(int block) {
        return refCounts[block];
    }

    /** Number of blocks whose content is in the prefix cache (in use or free). */
    int numCachedBlocks() {
        return index.size();
    }

    boolean isCached(int block) {
        return cached[block];
    }

    /** Takes the least recently used free block, evicting its cached content; needs {@link #numFree()} > 0. */
    int allocate() {
        int b = head;
        if (b == NONE) {
            throw new IllegalStateException("no free KV block (the caller must check numFree first)");
        }
        unlink(b);
        if (cached[b]) {
            index.remove(hashLo[b], b);
            cached[b] = false;
            salts[b] = null;
        }
        refCounts[b] = 1;
        return b;
    }

    /** Adds a reference to a block, taking it out of the free list if it was there. */
    void acquire(int block) {
        if (refCounts[block]++ == 0) {
            unlink(block);
        }
    }

    /** Drops a reference; a block nobody references goes back to the free list. */
    void release(int block) {
        int rc = refCounts[block];
        if (rc <= 0) {
            throw new IllegalStateException("KV block " + block + " released more often than acquired");
        }
        refCounts[block] = rc - 1;
        if (rc == 1) {
            if (cached[block]) {
                appendTail(block);
            } else {
                pushHead(block);
            }
        }
    }

    /**
     * The cached block with exactly this identity, or -1. The tokens compared are
     * {@code blockTokens[from .. from + blockSize)}.
     */
    int lookup(long lo, long hi, long pLo, long pHi, String salt, int[] blockTokens, int from) {
        int b = index.get(lo);
        if (b < 0 || hashHi[b] != hi || parentLo[b] != pLo || parentHi[b] != pHi || !Objects.equals(salts[b], salt)) {
            return -1;
        }
        return Arrays.equals(tokens, b * blockSize, (b + 1) * blockSize, blockTokens, from, from + blockSize) ? b : -1;
    }

    /**
     * Records that {@code block} (in use, full) holds this content. Returns false, changing nothing,
     * when another block already holds content under the same hash (the block then stays uncached).
     */
    boolean register(int block, long lo, long hi, long pLo, long pHi, String salt, int[] blockTokens, int from) {
        if (cached[block] || !index.putIfAbsent(lo, block)) {
            return false;
        }
        cached[block] = true;
        hashLo[block] = lo;
        hashHi[block] = hi;
        parentLo[block] = pLo;
        parentHi[block] = pHi;
        salts[block] = salt;
        System.arraycopy(blockTokens, from, tokens, block * blockSize, blockSize);
        return true;
    }

    /** Forgets every cached block's content (in-use blocks keep their references). */
    void clearCache() {
        for (int b = 0; b < numBlocks; b++) {
            if (cached[b]) {
                index.remove(hashLo[b], b);
                cached[b] = false;
                salts[b] = null;
            }
        }
    }

    /** The free blocks from head (next to be reused) to tail; for tests and diagnostics. */
    int[] freeListOrder() {
        int[] order = new int[numFree];
        int i = 0;
        for (int b = head; b != NONE; b = next[b]) {
            order[i++] = b;
        }
        return order;
    }

    private void appendTail(int b) {
        prev[b] = tail;
        next[b] = NONE;
        if (tail == NONE) {
            head = b;
        } else {
            next[tail] = b;
        }
        tail = b;
        numFree++;
    }

    private void pushHead(int b) {
        prev[b] = NONE;
        next[b] = head;
        if (head == NONE) {
            tail = b;
        } else {
            prev[head] = b;
        }
        head = b;
        numFree++;
    }

    private void unlink(int b) {
        int p = prev[b];
        int n = next[b];
        if (p == NONE) {
            head = n;
        } else {
            next[p] = n;
        }
        if (n == NONE) {
            tail = p;
        } else {
            prev[n] = p;
        }
        prev[b] = NONE;
        next[b] = NONE;
        numFree--;
    }
}
