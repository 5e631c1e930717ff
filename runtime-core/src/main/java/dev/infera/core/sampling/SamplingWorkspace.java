package dev.infera.core.sampling;

/**
 * Scratch arrays for sampling over a vocabulary of up to {@link #capacity()} tokens: the penalized
 * logits, the probabilities, and two arrays of ranked candidate keys. They are reused for every token,
 * so sampling allocates nothing in the steady state.
 *
 * <p>A workspace holds no per-request state, so many {@link Sampler}s may share one, as long as they
 * are all used from a single thread (the engine thread samples every request of a step in turn). It is
 * not thread-safe.
 */
public final class SamplingWorkspace {

    final float[] logits;
    final float[] probs;
    final long[] candidates;
    final long[] ranked;

    public SamplingWorkspace(int maxVocabSize) {
        if (maxVocabSize <= 0) {
            throw new IllegalArgumentException("maxVocabSize must be > 0, got " + maxVocabSize);
        }
        this.logits = new float[maxVocabSize];
        this.probs = new float[maxVocabSize];
        this.candidates = new long[maxVocabSize];
        this.ranked = new long[maxVocabSize];
    }

    /** The largest vocabulary this workspace can sample over. */
    public int capacity() {
        return logits.length;
    }
}
