package dev.infera.core.backend;

import java.util.Arrays;

/**
 * One forward step over tokens of several sequences, flat and unpadded. Rows are tokens: sequence
 * {@code s} owns rows {@code queryStart[s] .. queryStart[s+1]-1}, in position order. The arrays:
 * <ul>
 *   <li>{@code tokenIds[row]}, {@code positions[row]}: the token and its position in its sequence;</li>
 *   <li>{@code queryStart}: {@code numSeqs + 1} offsets, {@code 0} first and {@code numTokens} last;</li>
 *   <li>{@code seqLens[s]}: the sequence's context length after this step, so its new tokens sit at
 *       positions {@code seqLens[s] - queryLen .. seqLens[s] - 1} and attend to every earlier one;</li>
 *   <li>{@code slotMapping[row]}: the KV slot ({@code block * blockSize + offset}) the token's keys and
 *       values are written to; it must equal the slot its position maps to through the block table;</li>
 *   <li>{@code blockTables[s]}: the sequence's KV block ids in position order (at least
 *       {@code ceil(seqLens[s] / blockSize)} of them; extra trailing blocks are allowed);</li>
 *   <li>{@code sampleRows}: the rows whose logits are wanted, strictly increasing.</li>
 * </ul>
 * The constructor checks all of this against the {@link KvCacheLayout} the batch is built for, and
 * throws an {@link IllegalArgumentException} naming the first inconsistency, so a backend can index
 * its cache without further checks. Two rows never write the same slot.
 *
 * <p>The batch keeps the arrays it is given (no copies): the caller must not change them until the
 * step has run. (The engine's assembler still allocates the small per-step index arrays.)
 */
public final class StepBatch {

    private final KvCacheLayout kvLayout;
    private final int[] tokenIds;
    private final int[] positions;
    private final int[] queryStart;
    private final int[] seqLens;
    private final int[] slotMapping;
    private final int[][] blockTables;
    private final int[] sampleRows;
    private final int maxSeqLen;

    public StepBatch(KvCacheLayout kvLayout, int[] tokenIds, int[] positions, int[] queryStart, int[] seqLens,
            int[] slotMapping, int[][] blockTables, int[] sampleRows) {
        if (!(kvLayout != null && tokenIds != null && positions != null && queryStart != null && seqLens != null
                && slotMapping != null && blockTables != null && sampleRows != null)) {
            throw invalid("no argument may be null");
        }
        this.kvLayout = kvLayout;
        this.tokenIds = tokenIds;
        this.positions = positions;
        this.queryStart = queryStart;
        this.seqLens = seqLens;
        this.slotMapping = slotMapping;
        this.blockTables = blockTables;
        this.sampleRows = sampleRows;
        int numTokens = tokenIds.length;
        int numSeqs = seqLens.length;
        if (numTokens <= 0) {
            throw invalid("a step needs at least one token");
        }
        if (positions.length != numTokens) {
            throw invalid("positions has " + positions.length + " entries, tokenIds " + numTokens);
        }
        if (slotMapping.length != numTokens) {
            throw invalid("slotMapping has " + slotMapping.length + " entries, tokenIds " + numTokens);
        }
        if (numSeqs <= 0) {
            throw invalid("a step needs at least one sequence");
        }
        if (queryStart.length != numSeqs + 1) {
            throw invalid("queryStart has " + queryStart.length + " entries, expected numSeqs + 1 = " + (numSeqs + 1));
        }
        if (blockTables.length != numSeqs) {
            throw invalid("blockTables has " + blockTables.length + " entries, seqLens " + numSeqs);
        }
        if (queryStart[0] != 0) {
            throw invalid("queryStart[0] must be 0, got " + queryStart[0]);
        }
        if (queryStart[numSeqs] != numTokens) {
            throw invalid("queryStart[" + numSeqs + "] must equal the token count " + numTokens + ", got "
                    + queryStart[numSeqs]);
        }
        int longest = 0;
        for (int s = 0; s < numSeqs; s++) {
            checkSequence(s);
            longest = Math.max(longest, seqLens[s]);
        }
        this.maxSeqLen = longest;
        checkSlotsDistinct();
        for (int i = 0; i < sampleRows.length; i++) {
            int row = sampleRows[i];
            if (!(row >= 0 && row < numTokens)) {
                throw invalid("sampleRows[" + i + "] = " + row + " is outside 0.." + (numTokens - 1));
            }
            if (!(i == 0 || row > sampleRows[i - 1])) {
                throw invalid("sampleRows must be strictly increasing; sampleRows[" + i
                        + "] = " + row + " follows " + sampleRows[i - 1]);
            }
        }
    }

    private void checkSequence(int s) {
        int start = queryStart[s];
        int end = queryStart[s + 1];
        if (end <= start) {
            throw invalid("sequence " + s + " has no tokens (queryStart " + start + ".." + end + ")");
        }
        int queryLen = end - start;
        int seqLen = seqLens[s];
        if (seqLen < queryLen) {
            throw invalid("seqLens[" + s + "] = " + seqLen + " is less than its " + queryLen + " new tokens");
        }
        int[] table = blockTables[s];
        if (table == null) {
            throw invalid("blockTables[" + s + "] is null");
        }
        int blockSize = kvLayout.blockSize();
        int blocksNeeded = (int) ((seqLen + (long) blockSize - 1) / blockSize);
        if (table.length < blocksNeeded) {
            throw invalid("sequence " + s + " has context length " + seqLen + " but only "
                    + table.length + " blocks of " + blockSize + " tokens in its block table");
        }
        for (int i = 0; i < table.length; i++) {
            if (!(table[i] >= 0 && table[i] < kvLayout.numBlocks())) {
                throw invalid("blockTables[" + s + "][" + i + "] = " + table[i]
                        + " is outside the KV cache's blocks 0.." + (kvLayout.numBlocks() - 1));
            }
        }
        for (int row = start; row < end; row++) {
            int expectedPos = seqLen - queryLen + (row - start);
            if (positions[row] != expectedPos) {
                throw invalid("positions[" + row + "] = " + positions[row] + ", but sequence " + s
                        + " (context length " + seqLen + ", " + queryLen + " new tokens) puts that row at " + expectedPos);
            }
            int expectedSlot = table[expectedPos / blockSize] * blockSize + expectedPos % blockSize;
            if (slotMapping[row] != expectedSlot) {
                throw invalid("slotMapping[" + row + "] = " + slotMapping[row]
                        + ", but position " + expectedPos + " of sequence " + s + " maps to slot " + expectedSlot
                        + " through its block table");
            }
        }
    }

    /**
     * Each sequence's rows are consecutive positions, so within one block of its table they fill one
     * contiguous run of slots; the rows write distinct slots exactly when these runs are disjoint. There
     * is one run per written block (about {@code numTokens / blockSize} in a prefill, one per sequence
     * in a decode), so sorting them costs far less than sorting every row's slot. Runs are packed as
     * {@code firstSlot << 32 | lastSlot}; in that order the first run starting at or before the end of
     * an earlier one starts at the smallest slot written twice.
     */
    private void checkSlotsDistinct() {
        int blockSize = kvLayout.blockSize();
        int numRuns = 0;
        for (int s = 0; s < seqLens.length; s++) {
            int firstPos = seqLens[s] - (queryStart[s + 1] - queryStart[s]);
            numRuns += (seqLens[s] - 1) / blockSize - firstPos / blockSize + 1;
        }
        long[] runs = new long[numRuns];
        int run = 0;
        for (int s = 0; s < seqLens.length; s++) {
            int firstPos = seqLens[s] - (queryStart[s + 1] - queryStart[s]);
            int lastPos = seqLens[s] - 1;
            int[] table = blockTables[s];
            for (int b = firstPos / blockSize; b <= lastPos / blockSize; b++) {
                int blockStartPos = b * blockSize;
                int slotBase = table[b] * blockSize - blockStartPos;
                long firstSlot = slotBase + Math.max(firstPos, blockStartPos);
                long lastSlot = slotBase + Math.min(lastPos, blockStartPos + blockSize - 1);
                runs[run++] = firstSlot << 32 | lastSlot;
            }
        }
        Arrays.sort(runs);
        int furthestSlot = -1;
        for (long r : runs) {
            int firstSlot = (int) (r >>> 32);
            if (firstSlot <= furthestSlot) {
                throw invalid("two tokens of the step write KV slot " + firstSlot);
            }
            furthestSlot = Math.max(furthestSlot, (int) r);
        }
    }

    private static IllegalArgumentException invalid(String message) {
        return new IllegalArgumentException("invalid StepBatch: " + message);
    }

    public KvCacheLayout kvLayout() {
        return kvLayout;
    }

    public int numTokens() {
        return tokenIds.length;
    }

    public int numSeqs() {
        return seqLens.length;
    }

    public int numSampleRows() {
        return sampleRows.length;
    }

    /** The longest context of any sequence in the step. */
    public int maxSeqLen() {
        return maxSeqLen;
    }

    public int tokenId(int row) {
        return tokenIds[row];
    }

    public int position(int row) {
        return positions[row];
    }

    public int queryStart(int seq) {
        return queryStart[seq];
    }

    public int seqLen(int seq) {
        return seqLens[seq];
    }

    public int slot(int row) {
        return slotMapping[row];
    }

    /** The sequence's block table; read-only by contract (not copied). */
    public int[] blockTable(int seq) {
        return blockTables[seq];
    }

    public int sampleRow(int index) {
        return sampleRows[index];
    }
}
