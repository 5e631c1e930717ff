package dev.infera.core.engine.kv;

/**
 * The 128-bit content hash of one full KV block: a function of the parent block's hash, the cache
 * salt's key, and the block's token ids. Two independent 64-bit lanes (different seeds and mixing
 * constants) are computed in one pass; the low lane keys the prefix-cache index and both lanes are
 * compared on a lookup. The hash is only a fast filter: a hit is confirmed by comparing the stored
 * tokens and salt, so even a full collision could not make one request read another's KV.
 */
final class BlockHash {

    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long SEED_LO = 0x27D4EB2F165667C5L;
    private static final long SEED_HI = 0x61C8864680B583EBL;

    private BlockHash() {
    }

    /** Low lane of the hash of {@code tokens[from .. from + count)} under a parent hash and salt key. */
    static long lo(long parentLo, long parentHi, long saltKey, int[] tokens, int from, int count) {
        long h = SEED_LO ^ (count * P3);
        h = roundLo(h, parentLo);
        h = roundLo(h, parentHi);
        h = roundLo(h, saltKey);
        int end = from + count;
        int i = from;
        for (; i + 1 < end; i += 2) {
            h = roundLo(h, (tokens[i] & 0xFFFFFFFFL) | ((long) tokens[i + 1] << 32));
        }
        if (i < end) {
            h = roundLo(h, tokens[i] & 0xFFFFFFFFL);
        }
        return finish(h);
    }

    /** High lane, independent of the low one. */
    static long hi(long parentLo, long parentHi, long saltKey, int[] tokens, int from, int count) {
        long h = SEED_HI ^ (count * P1);
        h = roundHi(h, parentHi);
        h = roundHi(h, parentLo);
        h = roundHi(h, saltKey);
        int end = from + count;
        for (int i = from; i < end; i++) {
            h = roundHi(h, tokens[i] & 0xFFFFFFFFL);
        }
        return finish(h ^ P4);
    }

    /** A 64-bit key for a cache salt (0 for none); salts are compared exactly on a hit as well. */
    static long saltKey(String salt) {
        if (salt == null) {
            return 0L;
        }
        long h = SEED_LO ^ salt.length();
        for (int i = 0; i < salt.length(); i++) {
            h = roundLo(h, salt.charAt(i));
        }
        return finish(h) | 1L;
    }

    private static long roundLo(long acc, long input) {
        acc += input * P2;
        acc = Long.rotateLeft(acc, 31);
        return acc * P1;
    }

    private static long roundHi(long acc, long input) {
        acc ^= input * P4;
        acc = Long.rotateLeft(acc, 27);
        return acc * P3 + P2;
    }

    private static long finish(long h) {
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }
}
