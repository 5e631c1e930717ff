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
    int contextCapacity;

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
    /** Attention scores per worker thread: one row per query head of a KV group. */
    float[][] scores;

    ForwardScratch(ModelConfig config, int numWorkers) {
        this.config = config;
        this.numWorkers = numWorkers;
        this.pairCos = new float[config.ropeDim() / 2];
        this.pairSin = new float[config.ropeDim() / 2];
        this.scores = new float[numWorkers][0];
    }

    void ensure(int numTokens, int numSamples, int maxContext) {
        if (numTokens > tokenCapacity) {
            int n = grow(numTokens);
            int dim = config.embeddingLength();
            x = new float[n * dim];
            xb = new float[n * dim];
            proj = new float[n * dim];
            q = new float[n * config.queryDim()];
            k = new float[n * config.kvDim()];
            v = new float[n * config.kvDim()];
            att = new float[n * config.queryDim()];
            gate = new float[n * config.feedForwardLength()];
            up = new float[n * config.feedForwardLength()];
            ropeCos = new float[n * config.ropeDim()];
            ropeSin = new float[n * config.ropeDim()];
            rowSeq = new int[n];
            tokenCapacity = n;
        }
        if (numSamples > sampleCapacity) {
            int n = grow(numSamples);
            sampleX = new float[n * config.embeddingLength()];
            logits = new float[Math.multiplyExact(n, config.vocabSize())];
            sampleCapacity = n;
        }
        if (maxContext > contextCapacity) {
            int n = grow(maxContext);
            for (int w = 0; w < numWorkers; w++) {
                scores[w] = new float[Math.multiplyExact(n, config.headsPerKvHead())];
            }
            contextCapacity = n;
        }
    }

    private static int grow(int needed) {
        int n = Integer.highestOneBit(needed);
        return n == needed ? n : Math.max(needed, n << 1);
    }
}
