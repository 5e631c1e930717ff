package dev.infera.core.engine.kv;

/**
 * Hands out the paged KV cache's blocks to sequences and shares identical prompt prefixes between
 * them (automatic prefix caching). Used only by the engine thread.
 *
 * <p>Each full block of a sequence has a content hash chained over its parent block's hash, its token
 * ids and the sequence's cache salt, so equal hashes mean equal prefixes. {@link #findCachedPrefix}
 * walks that chain through the cache and stops at the first miss; the hit is capped so at least one
 * prompt token is left to compute (a step needs a token whose logits it can sample). Hits are taken
 * only by {@link #allocateSlots}, together with any new blocks, all or nothing: when the cache has no
 * room, nothing changes and the caller decides whom to preempt. After a step,
 * {@link #cacheFullBlocks} publishes blocks that became full. {@link #free} releases a sequence's
 * blocks last block first, so among equally old cached blocks the longest prefixes are evicted first
 * and shared beginnings survive longest.
 *
 * <p>Blocks being computed: when a sequence is admitted, {@link #markComputing} announces the content
 * hashes of the prompt blocks it is about to compute, until it publishes them or is freed.
 * {@link #computingPrefix} tells the scheduler that a waiting sequence's next blocks are on their
 * way, so it can wait for them instead of computing the same prefix a second time (many requests
 * with one new system prompt arriving together). The announcements are advisory: a lookup still
 * verifies every block, and when the index is full, later blocks are simply not announced.
 *
 * <p>Budget rule: a block is either referenced by sequences or in the pool's free list (possibly
 * still holding cached content); {@code numUsedBlocks + numFreeBlocks == numBlocks} always.
 */
public final class KvBlockManager {

    private final BlockPool pool;
    private final int blockSize;
    private final boolean prefixCaching;
    /** Content hash (low word) of a block some running sequence is computing, to that sequence's mark. */
    private final BlockIndex computing;
    private int nextOwner;
    private long prefixQueryTokens;
    private long prefixHitTokens;

    public KvBlockManager(int numBlocks, int blockSize, boolean prefixCaching) {
        if (numBlocks < 1) {
            throw new IllegalArgumentException("numBlocks must be at least 1, got " + numBlocks);
        }
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be at least 1 token, got " + blockSize);
        }
        if ((long) numBlocks * blockSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("numBlocks " + numBlocks + " x blockSize " + blockSize
                    + " exceeds the int slot range");
        }
        this.pool = new BlockPool(numBlocks, blockSize);
        this.blockSize = blockSize;
        this.prefixCaching = prefixCaching;
        this.computing = new BlockIndex(prefixCaching ? numBlocks : 1);
    }

    public int blockSize() {
        return blockSize;
    }

    public int numBlocks() {
        return pool.numBlocks();
    }

    public int numFreeBlocks() {
        return pool.numFree();
    }

    public int numUsedBlocks() {
        return pool.numBlocks() - pool.numFree();
    }

    public boolean prefixCaching() {
        return prefixCaching;
    }

    /** Blocks whose content is in the prefix cache, in use or free. */
    public int numCachedBlocks() {
        return pool.numCachedBlocks();
    }

    /** Prompt tokens looked up in the prefix cache by admitted sequences. */
    public long prefixQueryTokens() {
        return prefixQueryTokens;
    }

    /** Of {@link #prefixQueryTokens()}, those found in the cache. */
    public long prefixHitTokens() {
        return prefixHitTokens;
    }

    /** Blocks needed to hold {@code numTokens} tokens. */
    public long blocksFor(long numTokens) {
        return (numTokens + blockSize - 1) / blockSize;
    }

    /** Whether a sequence of {@code numTokens} tokens fits in the whole cache at all. */
    public boolean canEverFit(long numTokens) {
        return blocksFor(numTokens) <= pool.numBlocks();
    }

    /** The reference count of a block (for tests and diagnostics). */
    public int refCount(int block) {
        return pool.refCount(block);
    }

    /** The free blocks in the order they will be reused (for tests and diagnostics). */
    public int[] freeListOrder() {
        return pool.freeListOrder();
    }

    /**
     * Looks up the longest cached prefix of {@code tokens[0 .. numTokens)} made of whole blocks and
     * leaving at least one token uncomputed; returns its length in tokens. The hit blocks are held in
     * the table as pending until {@link #allocateSlots} takes them. The table must hold no blocks.
     */
    public int findCachedPrefix(BlockTable table, int[] tokens, int numTokens) {
        if (table.numBlocks != 0) {
            throw new IllegalStateException("findCachedPrefix needs a sequence without blocks; it holds "
                    + table.numBlocks);
        }
        table.numPendingHits = 0;
        table.pendingQueryTokens = numTokens;
        if (!prefixCaching || numTokens < 2) {
            return 0;
        }
        int maxBlocks = lookupLimit(numTokens);
        hashBlocks(table, tokens, maxBlocks);
        table.ensureBlockCapacity(maxBlocks);
        int hits = 0;
        long pLo = 0;
        long pHi = 0;
        while (hits < maxBlocks) {
            long lo = table.hashLo[hits];
            long hi = table.hashHi[hits];
            int b = pool.lookup(lo, hi, pLo, pHi, table.cacheSalt(), tokens, hits * blockSize);
            if (b < 0) {
                break;
            }
            table.blockIds[hits++] = b;
            pLo = lo;
            pHi = hi;
        }
        table.numPendingHits = hits;
        return hits * blockSize;
    }

    /**
     * Makes room for {@code numNewTokens} more tokens after the first {@code numComputedTokens}: takes
     * the pending prefix hits (then {@code numComputedTokens} must be their length) and allocates the
     * further blocks needed. Returns false, and changes nothing but dropping the pending hits, when the
     * free blocks do not suffice.
     */
    public boolean allocateSlots(BlockTable table, int numComputedTokens, int numNewTokens) {
        if (numNewTokens < 1 || numComputedTokens < 0) {
            throw new IllegalArgumentException("numNewTokens must be >= 1 and numComputedTokens >= 0, got "
                    + numNewTokens + " and " + numComputedTokens);
        }
        int hits = table.numPendingHits;
        if (hits > 0 && numComputedTokens != hits * blockSize) {
            throw new IllegalStateException("a sequence with " + hits + " cached blocks must start at token "
                    + hits * blockSize + ", not " + numComputedTokens);
        }
        int needed = (int) blocksFor((long) numComputedTokens + numNewTokens);
        int fresh = Math.max(0, needed - table.numBlocks - hits);
        int hitsInFreeList = 0;
        for (int i = 0; i < hits; i++) {
            if (pool.refCount(table.blockIds[i]) == 0) {
                hitsInFreeList++;
            }
        }
        if (fresh > pool.numFree() - hitsInFreeList) {
            table.numPendingHits = 0;
            return false;
        }
        if (table.pendingQueryTokens >= 0) {
            prefixQueryTokens += table.pendingQueryTokens;
            prefixHitTokens += (long) hits * blockSize;
            table.pendingQueryTokens = -1;
        }
        for (int i = 0; i < hits; i++) {
            pool.acquire(table.blockIds[i]);
        }
        if (hits > 0) {
            table.numBlocks = hits;
            table.numCachedBlocks = hits;
            table.numPendingHits = 0;
        }
        table.ensureBlockCapacity(table.numBlocks + fresh);
        for (int i = 0; i < fresh; i++) {
            table.blockIds[table.numBlocks++] = pool.allocate();
        }
        return true;
    }

    /**
     * Announces that the sequence, just given its blocks by {@link #allocateSlots} after a lookup, will
     * compute the prompt blocks after its cached prefix (those the lookup hashed). Content that another
     * running sequence already announced keeps that announcement.
     */
    public void markComputing(BlockTable table) {
        if (!prefixCaching) {
            return;
        }
        stopComputing(table, Integer.MAX_VALUE); // a second call must not strand the first one's announcements
        int owner = nextOwner;
        nextOwner = (nextOwner + 1) & Integer.MAX_VALUE;
        int from = table.numCachedBlocks;
        int to = from;
        while (to < table.numHashed && computing.size() < pool.numBlocks()) {
            computing.putIfAbsent(table.hashLo[to], owner);
            to++;
        }
        table.computingOwner = owner;
        table.computingFrom = from;
        table.computingTo = to;
    }

    /**
     * After {@link #findCachedPrefix} on this table: how many tokens of the whole blocks right after its
     * hit, within the range that lookup could hit, running sequences are computing now, counted up to
     * the first block nobody is. 0 for a table without a pending lookup.
     */
    public int computingPrefix(BlockTable table) {
        if (!prefixCaching || computing.size() == 0 || table.pendingQueryTokens < 0) {
            return 0;
        }
        int limit = lookupLimit(table.pendingQueryTokens);
        int i = table.numPendingHits;
        while (i < limit && computing.get(table.hashLo[i]) >= 0) {
            i++;
        }
        return (i - table.numPendingHits) * blockSize;
    }

    /** Blocks announced by {@link #markComputing} and not yet published or withdrawn. */
    public int numComputingBlocks() {
        return computing.size();
    }

    /** Withdraws the table's announcements for blocks below {@code upTo}. */
    private void stopComputing(BlockTable table, int upTo) {
        if (table.computingOwner < 0) {
            return;
        }
        int end = Math.min(upTo, table.computingTo);
        for (int i = table.computingFrom; i < end; i++) {
            computing.remove(table.hashLo[i], table.computingOwner);
        }
        if (end >= table.computingTo) {
            table.computingOwner = -1;
            table.computingFrom = 0;
            table.computingTo = 0;
        } else {
            table.computingFrom = Math.max(table.computingFrom, end);
        }
    }

    /** Publishes the blocks that the first {@code numComputedTokens} tokens now fill completely. */
    public void cacheFullBlocks(BlockTable table, int[] tokens, int numComputedTokens) {
        if (!prefixCaching) {
            return;
        }
        int full = Math.min(numComputedTokens / blockSize, table.numBlocks);
        if (full <= table.numCachedBlocks) {
            return;
        }
        hashBlocks(table, tokens, full);
        for (int i = table.numCachedBlocks; i < full; i++) {
            long pLo = i == 0 ? 0 : table.hashLo[i - 1];
            long pHi = i == 0 ? 0 : table.hashHi[i - 1];
            pool.register(table.blockIds[i], table.hashLo[i], table.hashHi[i], pLo, pHi, table.cacheSalt(),
                    tokens, i * blockSize);
        }
        table.numCachedBlocks = full;
        stopComputing(table, full);
    }

    /** Releases every block of the sequence, last block first, and empties its table. */
    public void free(BlockTable table) {
        stopComputing(table, Integer.MAX_VALUE);
        for (int i = table.numBlocks - 1; i >= 0; i--) {
            pool.release(table.blockIds[i]);
        }
        table.numBlocks = 0;
        table.numCachedBlocks = 0;
        table.numPendingHits = 0;
        table.pendingQueryTokens = -1;
    }

    /** Forgets all cached content (blocks in use stay allocated). */
    public void resetPrefixCache() {
        pool.clearCache();
    }

    /** The most whole blocks a lookup of {@code numTokens} may hit: at least one token stays to compute. */
    private int lookupLimit(int numTokens) {
        return numTokens < 2 ? 0 : (numTokens - 1) / blockSize;
    }

    /** Computes the content hashes of the table's first {@code numFullBlocks} blocks that lack one. */
    private void hashBlocks(BlockTable table, int[] tokens, int numFullBlocks) {
        table.ensureHashCapacity(numFullBlocks);
        for (int i = table.numHashed; i < numFullBlocks; i++) {
            long pLo = i == 0 ? 0 : table.hashLo[i - 1];
            long pHi = i == 0 ? 0 : table.hashHi[i - 1];
            int from = i * blockSize;
            table.hashLo[i] = BlockHash.lo(pLo, pHi, table.saltKey, tokens, from, blockSize);
            table.hashHi[i] = BlockHash.hi(pLo, pHi, table.saltKey, tokens, from, blockSize);
        }
        table.numHashed = Math.max(table.numHashed, numFullBlocks);
    }
}
