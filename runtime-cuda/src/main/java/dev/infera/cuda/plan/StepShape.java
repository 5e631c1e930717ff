package dev.infera.cuda.plan;

/**
 * The sizes that decide a step's launches: token rows, sequences, decode entries (sequences with one
 * new token, attended by the split decode kernel), prefill tiles (runs of up to {@code tileQ} rows of
 * one sequence, attended by the tiled prefill kernel), sample rows, and the block-table stride (entries
 * per sequence in the uploaded tables). A replayed CUDA graph uses a padded shape: its bucket's rows,
 * all of them decode entries and sample rows.
 */
public record StepShape(int numTokens, int numSeqs, int numDecodeEntries, int numPrefillTiles, int numSampleRows,
        int tableStride) {

    public StepShape {
        if (numTokens < 1 || numSeqs < 1 || numSeqs > numTokens) {
            throw new IllegalArgumentException("a step needs 1 <= sequences <= tokens, got " + numSeqs + " and "
                    + numTokens);
        }
        if (numDecodeEntries < 0 || numPrefillTiles < 0 || numDecodeEntries + numPrefillTiles < 1) {
            throw new IllegalArgumentException("a step needs decode entries or prefill tiles, got " + numDecodeEntries
                    + " and " + numPrefillTiles);
        }
        if (numSampleRows < 0 || numSampleRows > numTokens) {
            throw new IllegalArgumentException("sample rows must be in 0.." + numTokens + ", got " + numSampleRows);
        }
        if (tableStride < 1) {
            throw new IllegalArgumentException("table stride must be at least 1, got " + tableStride);
        }
    }
}
