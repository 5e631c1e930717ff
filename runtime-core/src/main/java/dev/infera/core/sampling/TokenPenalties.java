package dev.infera.core.sampling;

import java.util.Arrays;

/**
 * The penalty state of one request: which tokens it has seen and how often it generated each, kept in
 * an open-addressing table keyed by token id, so that the memory is proportional to the distinct
 * tokens of the request, not to the vocabulary (a 150k-token vocabulary times hundreds of requests
 * would not fit otherwise), and applying the penalties costs one pass over those distinct tokens.
 *
 * <p>Semantics: the repetition penalty applies to every token seen in the prompt or the output
 * (a positive logit is divided by it, a negative one multiplied); the presence penalty is subtracted
 * once from every token generated so far, the frequency penalty once per time it was generated.
 * Prompt tokens do not count for presence and frequency. The whole sequence counts (no window).
 *
 * <p>The table doubles when half full; that is the only allocation, amortized over many tokens.
 */
final class TokenPenalties {

    private static final int EMPTY = -1;

    private final float repetitionPenalty;
    private final float presencePenalty;
    private final float frequencyPenalty;
    private int[] tokenIds;
    private int[] generatedCounts;
    private int size;

    TokenPenalties(float repetitionPenalty, float presencePenalty, float frequencyPenalty) {
        this.repetitionPenalty = repetitionPenalty;
        this.presencePenalty = presencePenalty;
        this.frequencyPenalty = frequencyPenalty;
        this.tokenIds = new int[64];
        this.generatedCounts = new int[64];
        Arrays.fill(tokenIds, EMPTY);
    }

    /** True when these settings change any logit at all. */
    static boolean anyEnabled(float repetitionPenalty, float presencePenalty, float frequencyPenalty) {
        return repetitionPenalty != 1f || presencePenalty != 0f || frequencyPenalty != 0f;
    }

    /** Records a prompt token (seen, but not generated). */
    void addPromptToken(int tokenId) {
        if (repetitionPenalty != 1f) {
            slotOf(tokenId);
        }
    }

    /** Records a generated token. */
    void addGeneratedToken(int tokenId) {
        int slot = slotOf(tokenId); // may grow the table: index the new counts array, not the old one
        generatedCounts[slot]++;
    }

    /** Number of times {@code tokenId} was generated. */
    int generatedCount(int tokenId) {
        int slot = find(tokenId);
        return slot < 0 ? 0 : generatedCounts[slot];
    }

    /** Applies the penalties to {@code logits[0..vocab)}; ids at or above {@code vocab} are skipped. */
    void apply(float[] logits, int vocab) {
        for (int slot = 0; slot < tokenIds.length; slot++) {
            int id = tokenIds[slot];
            if (id == EMPTY || id >= vocab) {
                continue;
            }
            float logit = logits[id];
            if (repetitionPenalty != 1f) {
                logit = logit > 0 ? logit / repetitionPenalty : logit * repetitionPenalty;
            }
            int count = generatedCounts[slot];
            if (count > 0) {
                logit -= presencePenalty + frequencyPenalty * count;
            }
            logits[id] = logit;
        }
    }

    private int find(int tokenId) {
        int mask = tokenIds.length - 1;
        for (int slot = hash(tokenId) & mask; ; slot = (slot + 1) & mask) {
            int id = tokenIds[slot];
            if (id == tokenId) {
                return slot;
            }
            if (id == EMPTY) {
                return -1;
            }
        }
    }

    private int slotOf(int tokenId) {
        if (tokenId < 0) {
            throw new IllegalArgumentException("token id must be >= 0, got " + tokenId);
        }
        int mask = tokenIds.length - 1;
        for (int slot = hash(tokenId) & mask; ; slot = (slot + 1) & mask) {
            int id = tokenIds[slot];
            if (id == tokenId) {
                return slot;
            }
            if (id == EMPTY) {
                if (2 * (size + 1) > tokenIds.length) {
                    grow();
                    return slotOf(tokenId);
                }
                tokenIds[slot] = tokenId;
                size++;
                return slot;
            }
        }
    }

    private void grow() {
        int[] oldIds = tokenIds;
        int[] oldCounts = generatedCounts;
        tokenIds = new int[oldIds.length * 2];
        generatedCounts = new int[oldIds.length * 2];
        Arrays.fill(tokenIds, EMPTY);
        int mask = tokenIds.length - 1;
        for (int i = 0; i < oldIds.length; i++) {
            if (oldIds[i] != EMPTY) {
                int slot = hash(oldIds[i]) & mask;
                while (tokenIds[slot] != EMPTY) {
                    slot = (slot + 1) & mask;
                }
                tokenIds[slot] = oldIds[i];
                generatedCounts[slot] = oldCounts[i];
            }
        }
    }

    private static int hash(int tokenId) {
        int h = tokenId * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
