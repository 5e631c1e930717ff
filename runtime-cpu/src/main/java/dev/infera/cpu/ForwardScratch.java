package dev.infera.cpu;

import dev.infera.core.model.ModelConfig;

/**
 * The activation buffers of a forward step, allocated once per backend and grown (to the next power
 * of two) only when a step brings more tokens, sample rows or context than any before; a steady
 * stream of steps allocates nothing. Row {@code t} of a buffer of width {@code w} is
 * {@code [t * w, (t + 1) * w)}.
 */
final class ForwardScratch {

    private final ModelConfig config;
    private final int numWorkers;

    int tokenCapacity;
    int sampleCapacity;
    int scoresCapacity;

    /** Residual stream, {@code tokens x dim}. */
    float[] x = new float[0];
    /** Normed layer input, {@code tokens x dim}. */
    float[] xb = new float[0];
    /** Output of the attention and FFN projections before the residual add, {@code tokens x dim}. */
    float[] proj = new float[0];
    float[] q = new float[0];
    float[] k = new float[0];
    float[] v = new float[0];
    /** Attention output, {@code tokens x queryDim}. */
    float[] att = new float[0];
    float[] gate = new float[0];
    float[] up = new float[0];
    /** Output of the joined Q/K/V matrix, {@code tokens x (queryDim + 2 kvDim)}, when the model has one. */
    float[] qkv = new float[0];
    /** Output of the joined gate/up matrix, {@code tokens x 2 ffn} (gate half, then up half), when the model has one. */
    float[] gateUp = new float[0];
    /** Expanded RoPE tables, {@code tokens x ropeDim} each. */
    float[] ropeCos = new float[0];
    float[] ropeSin = new float[0];
    float[] pairCos;
    float[] pairSin;
    /** Sequence index of each token row. */
    int[] rowSeq = new int[0];
    /** Final-normed sample rows, {@code samples x dim}. */
    float[] sampleX = new float[0];
    float[] logits = new float[0];
    /** Attention scratch per worker thread (see {@code AttentionKernel.scratchFloats}). */
    float[][] scores;

    private final boolean joinedQkv;
    private final boolean joinedGateUp;
    private final boolean splitGateUp;

    /**
     * @param joinedQkv some layer multiplies Q, K and V as one matrix ({@link #qkv} is sized)
     * @param joinedGateUp some layer multiplies gate and up as one matrix ({@link #gateUp} is sized)
     * @param splitGateUp some layer multiplies gate and up apart ({@link #gate} and {@link #up} are sized)
     */
    ForwardScratch(ModelConfig config, int numWorkers, boolean joinedQkv, boolean joinedGateUp, boolean splitGateUp) {
        this.config = config;
        this.numWorkers = numWorkers;
        this.joinedQkv = joinedQkv;
        this.joinedGateUp = joinedGateUp;
        this.splitGateUp = splitGateUp;
        this.pairCos = new float[config.ropeDim() / 2];
        this.pairSin = new float[config.ropeDim() / 2];
        this.scores = new float[numWorkers][0];
    }

    void ensure(int numTokens, int numSamples) {
        if (numTokens > tokenCapacity) {
            int n = grow(numTokens);
            int dim = config.embeddingLength();
            x = new float[rows(n, dim, "residual")];
            xb = new float[rows(n, dim, "normed input")];
            proj = new float[rows(n, dim, "projection")];
            q = new float[rows(n, config.queryDim(), "query")];
            k = new float[rows(n, config.kvDim(), "key")];
            v = new float[rows(n, config.kvDim(), "value")];
            att = new float[rows(n, config.queryDim(), "attention output")];
            if (joinedQkv) {
                qkv = new float[rows(n, config.queryDim() + 2 * config.kvDim(), "joined Q/K/V")];
            }
            if (joinedGateUp) {
                gateUp = new float[rows(n, 2 * config.feedForwardLength(), "joined FFN gate/up")];
            }
            if (splitGateUp) {
                gate = new float[rows(n, config.feedForwardLength(), "FFN gate")];
                up = new float[rows(n, config.feedForwardLength(), "FFN up")];
            }
            ropeCos = new float[rows(n, config.ropeDim(), "RoPE")];
            ropeSin = new float[rows(n, config.ropeDim(), "RoPE")];
            rowSeq = new int[n];
            tokenCapacity = n;
        }
        if (numSamples > sampleCapacity) {
            int n = grow(numSamples);
            sampleX = new float[n * config.embeddingLength()];
            logits = new float[Math.multiplyExact(n, config.vocabSize())];
            sampleCapacity = n;
        }
    }

    /** Grows every worker's attention scratch to at least {@code floats}. */
    void ensureScores(int floats) {
        if (floats > scoresCapacity) {
            int n = grow(floats);
            for (int w = 0; w < numWorkers; w++) {
                scores[w] = new float[n];
            }
            scoresCapacity = n;
        }
    }

    /** {@code numRows * width}, or a clear error when a step is too large for a Java array. */
    private static int rows(int numRows, int width, String buffer) {
        long length = (long) numRows * width;
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a step of " + numRows + " token rows needs a " + buffer + " buffer of "
                    + numRows + " x " + width + " = " + length + " floats, more than a Java array holds; "
                    + "lower maxBatchTokens");
        }
        return (int) length;
    }

    private static int grow(int needed) {
        int n = Integer.highestOneBit(needed);
        return n == needed ? n : Math.max(needed, n << 1);
    }
}
