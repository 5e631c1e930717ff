package dev.infera.core.engine.sched;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the scheduler decided for one step: which sequences compute how many tokens, in batch order,
 * and which running sequences it preempted to make room. A sequence's new tokens are
 * {@code tokens[numComputedTokens .. numComputedTokens + numNewTokens)}; its last new token is sampled
 * when that reaches {@code numTokens}. Reused from step to step (no allocation in the steady state).
 */
public final class StepPlan {

    private Sequence[] sequences = new Sequence[16];
    private int[] numNewTokens = new int[16];
    private boolean[] samples = new boolean[16];
    private int size;
    private int numScheduledTokens;
    private final List<Sequence> preempted = new ArrayList<>();

    void clear() {
        Arrays.fill(sequences, 0, size, null);
        size = 0;
        numScheduledTokens = 0;
        preempted.clear();
    }

    void add(Sequence s, int tokens) {
        if (size == sequences.length) {
            sequences = Arrays.copyOf(sequences, size * 2);
            numNewTokens = Arrays.copyOf(numNewTokens, size * 2);
            samples = Arrays.copyOf(samples, size * 2);
        }
        s.scheduledTokens = tokens;
        sequences[size] = s;
        samples[size] = s.numComputedTokens + tokens == s.numTokens();
        numNewTokens[size++] = tokens;
        numScheduledTokens += tokens;
    }

    /** Drops entries whose sequence was unscheduled (preempted later in the same step). */
    void compact() {
        int kept = 0;
        numScheduledTokens = 0;
        for (int i = 0; i < size; i++) {
            Sequence s = sequences[i];
            if (s.scheduledTokens > 0) {
                sequences[kept] = s;
                samples[kept] = samples[i];
                numNewTokens[kept++] = s.scheduledTokens;
                numScheduledTokens += s.scheduledTokens;
            }
        }
        Arrays.fill(sequences, kept, size, null);
        size = kept;
    }

    void addPreempted(Sequence s) {
        preempted.add(s);
    }

    /** Number of sequences in the step. */
    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public Sequence sequence(int i) {
        return sequences[i];
    }

    public int numNewTokens(int i) {
        return numNewTokens[i];
    }

    /** Whether the step ends at the sequence's last token, so its next token is sampled. */
    public boolean samples(int i) {
        return samples[i];
    }

    /** Total tokens the step computes (at most the token budget). */
    public int numScheduledTokens() {
        return numScheduledTokens;
    }

    /** Sequences preempted in this step (back in the waiting queue, their KV freed). */
    public List<Sequence> preempted() {
        return preempted;
    }
}
