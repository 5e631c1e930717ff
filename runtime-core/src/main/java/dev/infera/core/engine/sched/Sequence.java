package dev.infera.core.engine.sched;

import dev.infera.core.engine.kv.BlockTable;
import java.util.Arrays;

/**
 * One request as the scheduler sees it: its tokens (prompt, then generated), how many of them have
 * K/V in the cache ({@code numComputedTokens}), and its KV blocks. The gap between
 * {@code numComputedTokens} and {@code numTokens} is the work it still needs before its next token
 * can be sampled: the whole prompt at first, one token per step while decoding, everything again after
 * a preemption. The engine extends this class with what it needs for output.
 *
 * <p>Owned by the engine thread; not thread-safe.
 */
public class Sequence {

    /** Where a sequence is in its life. */
    public enum Status { NEW, WAITING, RUNNING, FINISHED }

    private final long id;
    private final int priority;
    private final int numPromptTokens;
    private final int maxKvTokens;
    private final BlockTable blockTable;
    private int[] tokens;
    private int numTokens;
    int numComputedTokens;
    int numCachedPromptTokens = -1;
    int numPreemptions;
    long arrivalOrder;
    Status status = Status.NEW;
    int scheduledTokens;

    /**
     * @param promptTokens    the prompt (copied); at least one token
     * @param maxNewTokens    most tokens the sequence will generate, at least 1
     * @param priority        larger is more important (used by the priority policy)
     * @param cacheSalt       sequences with different salts never share cached KV; null for none
     */
    public Sequence(long id, int[] promptTokens, int maxNewTokens, int priority, String cacheSalt) {
        if (promptTokens == null || promptTokens.length == 0) {
            throw new IllegalArgumentException("a sequence needs at least one prompt token");
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be at least 1, got " + maxNewTokens);
        }
        this.id = id;
        this.priority = priority;
        this.numPromptTokens = promptTokens.length;
        this.tokens = Arrays.copyOf(promptTokens, promptTokens.length + Math.min(maxNewTokens, 64));
        this.numTokens = promptTokens.length;
        // The last generated token is never fed back, so it needs no KV slot.
        this.maxKvTokens = (int) Math.min(Integer.MAX_VALUE, (long) promptTokens.length + maxNewTokens - 1);
        this.blockTable = new BlockTable(cacheSalt);
    }

    public final long id() {
        return id;
    }

    public final int priority() {
        return priority;
    }

    public final Status status() {
        return status;
    }

    public final int numPromptTokens() {
        return numPromptTokens;
    }

    public final int numTokens() {
        return numTokens;
    }

    public final int numGeneratedTokens() {
        return numTokens - numPromptTokens;
    }

    public final int numComputedTokens() {
        return numComputedTokens;
    }

    /** Prompt tokens found in the prefix cache when the sequence first started; -1 before that. */
    public final int numCachedPromptTokens() {
        return numCachedPromptTokens;
    }

    public final int numPreemptions() {
        return numPreemptions;
    }

    /** The most tokens that ever need KV slots at once: prompt plus all but the last generated token. */
    public final int maxKvTokens() {
        return maxKvTokens;
    }

    /** Tokens scheduled for this sequence in the current step (0 when not in it). */
    public final int scheduledTokens() {
        return scheduledTokens;
    }

    /** The backing token array ({@link #numTokens()} valid); read-only for callers. */
    public final int[] tokens() {
        return tokens;
    }

    public final int token(int index) {
        return tokens[index];
    }

    public final BlockTable blockTable() {
        return blockTable;
    }

    /** Adds a sampled token; the next step then has one token to compute for this sequence. */
    public final void appendToken(int tokenId) {
        if (numTokens == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[numTokens++] = tokenId;
    }

    @Override
    public String toString() {
        return "Sequence[" + id + ", " + status + ", " + numComputedTokens + "/" + numTokens + " tokens]";
    }
}
