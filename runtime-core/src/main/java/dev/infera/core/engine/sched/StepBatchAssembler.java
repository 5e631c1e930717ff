package dev.infera.core.engine.sched;

import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;

/**
 * Flattens a {@link StepPlan} into the {@link StepBatch} a backend runs: each planned sequence's new
 * tokens in plan order, their positions and KV slots (through the sequence's block table), and a
 * sample row at the last token of every sequence whose step reaches its end. Sample rows come out in
 * plan order, so the {@code k}-th sampling sequence of the plan owns logits row {@code k}.
 *
 * <p>Block tables are passed without copying (the sequences' backing arrays; see
 * {@link dev.infera.core.engine.kv.BlockTable}); the other arrays are sized exactly, as the batch
 * requires.
 */
public final class StepBatchAssembler {

    private StepBatchAssembler() {
    }

    public static StepBatch assemble(StepPlan plan, KvCacheLayout layout) {
        int numSeqs = plan.size();
        int numTokens = plan.numScheduledTokens();
        int numSamples = 0;
        for (int i = 0; i < numSeqs; i++) {
            if (plan.samples(i)) {
                numSamples++;
            }
        }
        int blockSize = layout.blockSize();
        int[] tokenIds = new int[numTokens];
        int[] positions = new int[numTokens];
        int[] slots = new int[numTokens];
        int[] queryStart = new int[numSeqs + 1];
        int[] seqLens = new int[numSeqs];
        int[][] blockTables = new int[numSeqs][];
        int[] sampleRows = new int[numSamples];
        int row = 0;
        int sample = 0;
        for (int i = 0; i < numSeqs; i++) {
            Sequence s = plan.sequence(i);
            int[] table = s.blockTable().blockIds();
            int[] tokens = s.tokens();
            int start = s.numComputedTokens();
            int end = start + plan.numNewTokens(i);
            for (int pos = start; pos < end; pos++, row++) {
                tokenIds[row] = tokens[pos];
                positions[row] = pos;
                slots[row] = table[pos / blockSize] * blockSize + pos % blockSize;
            }
            queryStart[i + 1] = row;
            seqLens[i] = end;
            blockTables[i] = table;
            if (plan.samples(i)) {
                sampleRows[sample++] = row - 1;
            }
        }
        return new StepBatch(layout, tokenIds, positions, queryStart, seqLens, slots, blockTables, sampleRows);
    }
}
