package dev.infera.core.backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a {@link StepBatch} one sequence at a time, deriving positions and the slot mapping from
 * each sequence's block table, so callers cannot get them inconsistent. Reusable after {@link #build()}
 * only through a new builder.
 */
public final class StepBatchBuilder {

    private final KvCacheLayout kvLayout;
    private int[] tokenIds = new int[16];
    private int[] positions = new int[16];
    private int[] slots = new int[16];
    private int numTokens;
    private final List<int[]> blockTables = new ArrayList<>();
    private int[] seqLens = new int[4];
    private int[] queryStart = new int[] {0, 0, 0, 0, 0};
    private int[] sampleRows = new int[4];
    private int numSampleRows;

    public StepBatchBuilder(KvCacheLayout kvLayout) {
        if (kvLayout == null) {
            throw new IllegalArgumentException("kvLayout must not be null");
        }
        this.kvLayout = kvLayout;
    }

    /**
     * Adds a sequence whose first {@code numComputedTokens} tokens already have K/V in the cache and
     * whose {@code newTokens} are computed in this step.
     *
     * @param blockTable the sequence's block ids, covering at least its new context length
     * @param sampleLast whether the last new token's logits are wanted
     */
    public StepBatchBuilder addSequence(int[] blockTable, int numComputedTokens, int[] newTokens, boolean sampleLast) {
        return addSequence(blockTable, numComputedTokens, newTokens, sampleLast ? 1 : 0);
    }

    /**
     * Like {@link #addSequence(int[], int, int[], boolean)}, but asks for the logits of the last
     * {@code numSampled} new tokens (for prompt log-probabilities or teacher-forced scoring).
     */
    public StepBatchBuilder addSequence(int[] blockTable, int numComputedTokens, int[] newTokens, int numSampled) {
        if (blockTable == null || newTokens == null || newTokens.length == 0 || numComputedTokens < 0) {
            throw new IllegalArgumentException("a sequence needs a block table, at least one new token and a "
                    + "non-negative computed count");
        }
        if (numSampled < 0 || numSampled > newTokens.length) {
            throw new IllegalArgumentException("numSampled must be in 0.." + newTokens.length + ", got " + numSampled);
        }
        int seq = blockTables.size();
        int seqLen = numComputedTokens + newTokens.length;
        int blockSize = kvLayout.blockSize();
        if ((long) blockTable.length * blockSize < seqLen) {
            throw new IllegalArgumentException("sequence " + seq + " needs " + seqLen + " slots but its block table has "
                    + blockTable.length + " blocks of " + blockSize);
        }
        ensureTokens(numTokens + newTokens.length);
        for (int i = 0; i < newTokens.length; i++) {
            int pos = numComputedTokens + i;
            tokenIds[numTokens] = newTokens[i];
            positions[numTokens] = pos;
            slots[numTokens] = blockTable[pos / blockSize] * blockSize + pos % blockSize;
            numTokens++;
        }
        blockTables.add(blockTable);
        if (seq == seqLens.length) {
            seqLens = Arrays.copyOf(seqLens, seqLens.length * 2);
            queryStart = Arrays.copyOf(queryStart, seqLens.length + 1);
        }
        seqLens[seq] = seqLen;
        queryStart[seq + 1] = numTokens;
        if (numSampleRows + numSampled > sampleRows.length) {
            sampleRows = Arrays.copyOf(sampleRows, Math.max(numSampleRows + numSampled, sampleRows.length * 2));
        }
        for (int row = numTokens - numSampled; row < numTokens; row++) {
            sampleRows[numSampleRows++] = row;
        }
        return this;
    }

    private void ensureTokens(int capacity) {
        if (capacity > tokenIds.length) {
            int n = Math.max(capacity, tokenIds.length * 2);
            tokenIds = Arrays.copyOf(tokenIds, n);
            positions = Arrays.copyOf(positions, n);
            slots = Arrays.copyOf(slots, n);
        }
    }

    public StepBatch build() {
        int numSeqs = blockTables.size();
        return new StepBatch(kvLayout, Arrays.copyOf(tokenIds, numTokens), Arrays.copyOf(positions, numTokens),
                Arrays.copyOf(queryStart, numSeqs + 1), Arrays.copyOf(seqLens, numSeqs),
                Arrays.copyOf(slots, numTokens), blockTables.toArray(int[][]::new),
                Arrays.copyOf(sampleRows, numSampleRows));
    }
}
