package dev.infera.core.engine.kv;

import java.util.Arrays;

/**
 * The KV side of one sequence: the ids of its blocks in position order, the content hashes of its
 * full blocks (computed once, kept across preemption since a sequence's tokens only grow), and how
 * many leading blocks are already in the prefix cache. Owned by the engine thread; changed only by
 * {@link KvBlockManager}.
 *
 * <p>{@link #blockIds()} is the backing array, handed to a step batch without copying: entries past
 * {@link #numBlocks()} are leftovers that still name valid blocks, which a batch tolerates as extra
 * trailing blocks.
 */
public final class BlockTable {

    private final String cacheSalt;
    final long saltKey;
    int[] blockIds = new int[4];
    int numBlocks;
    long[] hashLo = new long[4];
    long[] hashHi = new long[4];
    int numHashed;
    int numCachedBlocks;
    int numPendingHits;
    int pendingQueryTokens = -1;
    /** While this sequence runs: its mark in the manager's index of blocks being computed, or -1. */
    int computingOwner = -1;
    /** Blocks {@code [computingFrom, computingTo)} are announced as being computed by this sequence. */
    int computingFrom;
    int computingTo;

    /** @param cacheSalt requests with different salts never share cached blocks; null for none */
    public BlockTable(String cacheSalt) {
        this.cacheSalt = cacheSalt;
        this.saltKey = BlockHash.saltKey(cacheSalt);
    }

    public String cacheSalt() {
        return cacheSalt;
    }

    /** The block ids, {@link #numBlocks()} of them valid; see the class comment. */
    public int[] blockIds() {
        return blockIds;
    }

    public int numBlocks() {
        return numBlocks;
    }

    /** Leading blocks whose content is in the prefix cache (hit, or registered once full). */
    public int numCachedBlocks() {
        return numCachedBlocks;
    }

    void ensureBlockCapacity(int n) {
        if (n > blockIds.length) {
            blockIds = Arrays.copyOf(blockIds, Math.max(n, blockIds.length * 2));
        }
    }

    void ensureHashCapacity(int n) {
        if (n > hashLo.length) {
            int size = Math.max(n, hashLo.length * 2);
            hashLo = Arrays.copyOf(hashLo, size);
            hashHi = Arrays.copyOf(hashHi, size);
        }
    }
}
