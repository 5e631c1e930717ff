package dev.infera.core.engine.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class KvBlockManagerTest {

    private static final int BS = 4;

    private static int[] tokens(int n, int seed) {
        Random r = new Random(seed);
        return IntStream.range(0, n).map(i -> r.nextInt(1000)).toArray();
    }

    /** Admits a sequence as the scheduler does: prefix lookup, then allocation of the rest. */
    private static int admit(KvBlockManager kv, BlockTable t, int[] toks, int numTokens) {
        int cached = kv.findCachedPrefix(t, toks, numTokens);
        assertThat(kv.allocateSlots(t, cached, numTokens - cached)).isTrue();
        kv.cacheFullBlocks(t, toks, numTokens);
        return cached;
    }

    @Test
    void budgetAccountingAndAllOrNothingAllocation() {
        KvBlockManager kv = new KvBlockManager(10, BS, true);
        BlockTable a = new BlockTable(null);
        assertThat(kv.allocateSlots(a, 0, 9)).isTrue();
        assertThat(a.numBlocks()).isEqualTo(3);
        assertThat(kv.numUsedBlocks()).isEqualTo(3);
        assertThat(kv.allocateSlots(a, 9, 3)).isTrue();
        assertThat(a.numBlocks()).isEqualTo(3);
        assertThat(kv.allocateSlots(a, 12, 1)).isTrue();
        assertThat(a.numBlocks()).isEqualTo(4);

        BlockTable b = new BlockTable(null);
        assertThat(kv.allocateSlots(b, 0, 25)).isFalse();
        assertThat(b.numBlocks()).isZero();
        assertThat(kv.numFreeBlocks()).isEqualTo(6);
        assertThat(kv.allocateSlots(b, 0, 24)).isTrue();
        assertThat(kv.numFreeBlocks()).isZero();
        assertThat(kv.allocateSlots(a, 16, 1)).isFalse();

        kv.free(a);
        kv.free(b);
        assertThat(kv.numUsedBlocks()).isZero();
        assertThat(kv.numFreeBlocks()).isEqualTo(10);
        assertThat(kv.canEverFit(40)).isTrue();
        assertThat(kv.canEverFit(41)).isFalse();
    }

    @Test
    void announcedBlocksAreSeenUntilPublishedOrFreed() {
        KvBlockManager kv = new KvBlockManager(16, BS, true);
        int[] toks = tokens(21, 5);
        BlockTable producer = new BlockTable(null);
        assertThat(kv.findCachedPrefix(producer, toks, 21)).isZero();
        assertThat(kv.allocateSlots(producer, 0, 8)).isTrue();
        kv.markComputing(producer);
        assertThat(kv.numComputingBlocks()).as("the 5 blocks a lookup of 21 tokens can hit").isEqualTo(5);

        BlockTable other = new BlockTable(null);
        assertThat(kv.findCachedPrefix(other, toks, 21)).isZero();
        assertThat(kv.computingPrefix(other)).isEqualTo(20);
        kv.findCachedPrefix(other, toks, 9);
        assertThat(kv.computingPrefix(other)).as("capped where its own lookup stops").isEqualTo(8);
        BlockTable salted = new BlockTable("x");
        assertThat(kv.findCachedPrefix(salted, toks, 21)).isZero();
        assertThat(kv.computingPrefix(salted)).isZero();
        assertThat(kv.computingPrefix(producer)).as("a running sequence has no pending lookup").isZero();

        kv.cacheFullBlocks(producer, toks, 8);
        assertThat(kv.numComputingBlocks()).isEqualTo(3);
        assertThat(kv.findCachedPrefix(other, toks, 21)).isEqualTo(8);
        assertThat(kv.computingPrefix(other)).isEqualTo(12);

        kv.free(producer);
        assertThat(kv.numComputingBlocks()).isZero();
        assertThat(kv.computingPrefix(other)).isZero();
    }

    @Test
    void announcementsStopWhenTheIndexIsFull() {
        KvBlockManager kv = new KvBlockManager(4, BS, true);
        int[] toks = tokens(41, 6);
        BlockTable a = new BlockTable(null);
        kv.findCachedPrefix(a, toks, 41);
        assertThat(kv.allocateSlots(a, 0, 4)).isTrue();
        kv.markComputing(a);
        assertThat(kv.numComputingBlocks()).isEqualTo(4);
        BlockTable b = new BlockTable(null);
        kv.findCachedPrefix(b, toks, 41);
        assertThat(kv.computingPrefix(b)).isEqualTo(16);
        kv.free(a);
        assertThat(kv.numComputingBlocks()).isZero();
    }

    @Test
    void blockIdsAreDistinctWhileHeld() {
        KvBlockManager kv = new KvBlockManager(16, BS, false);
        BlockTable a = new BlockTable(null);
        BlockTable b = new BlockTable(null);
        kv.allocateSlots(a, 0, 30);
        kv.allocateSlots(b, 0, 32);
        int[] all = IntStream.concat(Arrays.stream(a.blockIds(), 0, a.numBlocks()),
                Arrays.stream(b.blockIds(), 0, b.numBlocks())).toArray();
        assertThat(all).doesNotHaveDuplicates().hasSize(16);
    }

    @Test
    void sharedPrefixIsReusedWithReferenceCounts() {
        KvBlockManager kv = new KvBlockManager(20, BS, true);
        int[] prompt = tokens(18, 1);
        BlockTable a = new BlockTable(null);
        assertThat(admit(kv, a, prompt, 18)).isZero();
        assertThat(kv.numCachedBlocks()).isEqualTo(4);

        int[] other = Arrays.copyOf(prompt, 18);
        other[17] = other[17] + 1;
        BlockTable b = new BlockTable(null);
        assertThat(admit(kv, b, other, 18)).isEqualTo(16);
        for (int i = 0; i < 4; i++) {
            assertThat(b.blockIds()[i]).isEqualTo(a.blockIds()[i]);
            assertThat(kv.refCount(a.blockIds()[i])).isEqualTo(2);
        }
        assertThat(b.blockIds()[4]).isNotEqualTo(a.blockIds()[4]);
        assertThat(kv.numUsedBlocks()).isEqualTo(6);
        assertThat(kv.prefixQueryTokens()).isEqualTo(36);
        assertThat(kv.prefixHitTokens()).isEqualTo(16);

        kv.free(a);
        assertThat(kv.refCount(b.blockIds()[0])).isEqualTo(1);
        assertThat(kv.numUsedBlocks()).isEqualTo(5);
        kv.free(b);
        assertThat(kv.numUsedBlocks()).isZero();
    }

    @Test
    void hitIsCappedAtPromptLengthMinusOne() {
        KvBlockManager kv = new KvBlockManager(20, BS, true);
        int[] prompt = tokens(16, 2);
        admit(kv, new BlockTable(null), prompt, 16);
        BlockTable again = new BlockTable(null);
        assertThat(kv.findCachedPrefix(again, prompt, 16)).isEqualTo(12);
        assertThat(kv.findCachedPrefix(new BlockTable(null), prompt, 17)).isEqualTo(16);
        assertThat(kv.findCachedPrefix(new BlockTable(null), prompt, 1)).isZero();
    }

    @Test
    void cachedFreeBlocksSurviveUntilReusedAndLongestPrefixGoesFirst() {
        KvBlockManager kv = new KvBlockManager(6, BS, true);
        int[] prompt = tokens(16, 3);
        BlockTable a = new BlockTable(null);
        admit(kv, a, prompt, 16);
        int[] ids = Arrays.copyOf(a.blockIds(), 4);
        kv.free(a);
        assertThat(kv.numFreeBlocks()).isEqualTo(6);
        int[] order = kv.freeListOrder();
        // The two never-used blocks first, then the freed ones last block first.
        assertThat(Arrays.copyOfRange(order, 2, 6)).containsExactly(ids[3], ids[2], ids[1], ids[0]);

        BlockTable filler = new BlockTable(null);
        assertThat(kv.allocateSlots(filler, 0, 16)).isTrue();
        // The two untouched blocks, then the prompt's last two blocks were reused; its first two remain.
        BlockTable b = new BlockTable(null);
        assertThat(kv.findCachedPrefix(b, prompt, 16)).isEqualTo(8);
        assertThat(kv.allocateSlots(b, 8, 8)).isFalse();
        assertThat(kv.allocateSlots(b, 0, 1)).isTrue();
        kv.free(b);
        kv.free(filler);
    }

    @Test
    void uncachedFreedBlocksAreReusedBeforeCachedOnes() {
        KvBlockManager kv = new KvBlockManager(4, BS, true);
        int[] prompt = tokens(8, 4);
        BlockTable cachedSeq = new BlockTable(null);
        admit(kv, cachedSeq, prompt, 8);
        BlockTable scratch = new BlockTable(null);
        kv.allocateSlots(scratch, 0, 2);
        int scratchBlock = scratch.blockIds()[0];
        kv.free(cachedSeq);
        kv.free(scratch);
        assertThat(kv.freeListOrder()[0]).isEqualTo(scratchBlock);
    }

    @Test
    void saltsIsolateCachedPrefixes() {
        KvBlockManager kv = new KvBlockManager(20, BS, true);
        int[] prompt = tokens(13, 5);
        admit(kv, new BlockTable("tenant-a"), prompt, 13);
        assertThat(kv.findCachedPrefix(new BlockTable("tenant-b"), prompt, 13)).isZero();
        assertThat(kv.findCachedPrefix(new BlockTable(null), prompt, 13)).isZero();
        assertThat(kv.findCachedPrefix(new BlockTable("tenant-a"), prompt, 13)).isEqualTo(12);
    }

    @Test
    void differentParentMeansNoHitEvenWithEqualBlockTokens() {
        KvBlockManager kv = new KvBlockManager(20, BS, true);
        int[] first = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        int[] second = {9, 9, 9, 9, 5, 6, 7, 8, 9};
        admit(kv, new BlockTable(null), first, 9);
        assertThat(kv.findCachedPrefix(new BlockTable(null), second, 9)).isZero();
    }

    @Test
    void lookupVerifiesTokensSoAHashCollisionCannotHit() {
        BlockPool pool = new BlockPool(4, BS);
        int b = pool.allocate();
        int[] stored = {1, 2, 3, 4};
        assertThat(pool.register(b, 42L, 43L, 0, 0, null, stored, 0)).isTrue();
        assertThat(pool.lookup(42L, 43L, 0, 0, null, stored, 0)).isEqualTo(b);
        assertThat(pool.lookup(42L, 43L, 0, 0, null, new int[] {1, 2, 3, 5}, 0)).isEqualTo(-1);
        assertThat(pool.lookup(42L, 44L, 0, 0, null, stored, 0)).isEqualTo(-1);
        assertThat(pool.lookup(42L, 43L, 7, 0, null, stored, 0)).isEqualTo(-1);
        assertThat(pool.lookup(42L, 43L, 0, 0, "s", stored, 0)).isEqualTo(-1);
        int other = pool.allocate();
        assertThat(pool.register(other, 42L, 99L, 0, 0, null, new int[] {5, 6, 7, 8}, 0)).isFalse();
    }

    @Test
    void preemptedSequenceRecoversItsPrefixFromTheCache() {
        KvBlockManager kv = new KvBlockManager(10, BS, true);
        int[] seq = tokens(22, 6);
        BlockTable t = new BlockTable(null);
        admit(kv, t, seq, 22);
        kv.free(t);
        assertThat(admit(kv, t, seq, 22)).isEqualTo(20);
        kv.free(t);
        assertThat(kv.numUsedBlocks()).isZero();
    }

    @Test
    void prefixCachingOffNeverHits() {
        KvBlockManager kv = new KvBlockManager(10, BS, false);
        int[] seq = tokens(12, 7);
        admit(kv, new BlockTable(null), seq, 12);
        assertThat(kv.findCachedPrefix(new BlockTable(null), seq, 12)).isZero();
        assertThat(kv.numCachedBlocks()).isZero();
    }

    @Test
    void doubleReleaseIsAnError() {
        BlockPool pool = new BlockPool(2, BS);
        int b = pool.allocate();
        pool.release(b);
        assertThatThrownBy(() -> pool.release(b)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void randomWorkloadKeepsTheBudgetInvariant() {
        Random r = new Random(11);
        KvBlockManager kv = new KvBlockManager(64, BS, true);
        int[] base = tokens(200, 8);
        BlockTable[] tables = new BlockTable[12];
        int[][] toks = new int[12][];
        int[] len = new int[12];
        for (int round = 0; round < 2000; round++) {
            int i = r.nextInt(tables.length);
            if (tables[i] == null) {
                toks[i] = Arrays.copyOf(base, 200);
                toks[i][r.nextInt(40) + 1] = r.nextInt(3);
                tables[i] = new BlockTable(r.nextBoolean() ? null : "s");
                len[i] = 5 + r.nextInt(30);
                int cached = kv.findCachedPrefix(tables[i], toks[i], len[i]);
                if (!kv.allocateSlots(tables[i], cached, len[i] - cached)) {
                    tables[i] = null;
                    continue;
                }
                kv.cacheFullBlocks(tables[i], toks[i], len[i]);
            } else if (r.nextInt(4) == 0 || len[i] >= 199) {
                kv.free(tables[i]);
                tables[i] = null;
            } else if (kv.allocateSlots(tables[i], len[i], 1)) {
                len[i]++;
                kv.cacheFullBlocks(tables[i], toks[i], len[i]);
            }
            int held = 0;
            boolean[] seen = new boolean[64];
            for (BlockTable t : tables) {
                if (t != null) {
                    for (int k = 0; k < t.numBlocks(); k++) {
                        int b = t.blockIds()[k];
                        assertThat(kv.refCount(b)).isPositive();
                        if (!seen[b]) {
                            seen[b] = true;
                            held++;
                        }
                    }
                }
            }
            assertThat(kv.numUsedBlocks()).isEqualTo(held);
            assertThat(kv.numFreeBlocks() + kv.numUsedBlocks()).isEqualTo(64);
        }
    }
}
