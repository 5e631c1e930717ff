package dev.infera.core.backend;

/**
 * The logits of a step's sample rows: row {@code i} belongs to {@code batch.sampleRow(i)} and occupies
 * {@code logits[i * vocabSize .. (i + 1) * vocabSize - 1]}. The array belongs to the backend and is
 * reused by its next step: read or copy what you need before calling {@code execute} again.
 */
public final class StepResult {

    private final float[] logits;
    private final int numRows;
    private final int vocabSize;

    public StepResult(float[] logits, int numRows, int vocabSize) {
        if (logits == null || numRows < 0 || vocabSize < 1 || (long) numRows * vocabSize > logits.length) {
            throw new IllegalArgumentException("logits buffer of " + (logits == null ? "null" : logits.length)
                    + " floats cannot hold " + numRows + " rows of " + vocabSize);
        }
        this.logits = logits;
        this.numRows = numRows;
        this.vocabSize = vocabSize;
    }

    public int numRows() {
        return numRows;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The shared buffer (may be longer than {@code numRows * vocabSize}). */
    public float[] logits() {
        return logits;
    }

    /** Where row {@code row} starts in {@link #logits()}. */
    public int offset(int row) {
        checkRow(row);
        return row * vocabSize;
    }

    public float logit(int row, int tokenId) {
        if (tokenId < 0 || tokenId >= vocabSize) {
            throw new IllegalArgumentException("token id " + tokenId + " is outside the vocabulary 0.." + (vocabSize - 1));
        }
        return logits[offset(row) + tokenId];
    }

    /** A copy of one row. */
    public float[] row(int row) {
        int off = offset(row);
        float[] copy = new float[vocabSize];
        System.arraycopy(logits, off, copy, 0, vocabSize);
        return copy;
    }

    /** The highest-scoring token of a row; the lowest id wins a tie. */
    public int argmax(int row) {
        int off = offset(row);
        int best = 0;
        float bestLogit = logits[off];
        for (int t = 1; t < vocabSize; t++) {
            if (logits[off + t] > bestLogit) {
                bestLogit = logits[off + t];
                best = t;
            }
        }
        return best;
    }

    private void checkRow(int row) {
        if (row < 0 || row >= numRows) {
            throw new IllegalArgumentException("row " + row + " is outside 0.." + (numRows - 1));
        }
    }
}
