package dev.infera.core.testing;

import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * A model-free backend for engine and scheduler tests that still exercises the KV cache honestly: each
 * step writes every token (and its position) into its slot, then for every sample row reads the
 * sequence's whole context back through its block table and derives the next token from it with
 * {@link #nextToken}. A wrong slot, a wrongly shared block or a stale block changes the context read,
 * so the output differs from {@link #expected}; a slot holding the wrong position fails the step.
 */
public final class FakeBackend implements ExecutionBackend {

    /** Tokens below this are never produced (0..2 are unk/bos/eos in test vocabularies). */
    public static final int FIRST_TOKEN = 3;

    private final int vocabSize;
    private KvCacheLayout layout;
    private int[] slotTokens;
    private int[] slotPositions;
    private float[] logits = new float[0];
    private volatile Predicate<StepBatch> failWhen = b -> false;
    private volatile long stepDelayNanos;
    private volatile boolean closed;
    private final List<Integer> stepTokenCounts = new ArrayList<>();

    public FakeBackend(int vocabSize) {
        if (vocabSize <= FIRST_TOKEN) {
            throw new IllegalArgumentException("vocabSize must exceed " + FIRST_TOKEN);
        }
        this.vocabSize = vocabSize;
    }

    /** The token the fake model produces after {@code context[0 .. length)}. */
    public static int nextToken(int[] context, int length, int vocabSize) {
        long h = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < length; i++) {
            h = (h ^ context[i]) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return FIRST_TOKEN + (int) Long.remainderUnsigned(h, vocabSize - FIRST_TOKEN);
    }

    /** The {@code count} tokens greedy generation gives after {@code prompt}. */
    public static int[] expected(int[] prompt, int count, int vocabSize) {
        int[] seq = Arrays.copyOf(prompt, prompt.length + count);
        for (int i = 0; i < count; i++) {
            seq[prompt.length + i] = nextToken(seq, prompt.length + i, vocabSize);
        }
        return Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    /** Makes {@link #execute} throw for batches matching the predicate. */
    public void failWhen(Predicate<StepBatch> predicate) {
        this.failWhen = predicate;
    }

    /** Makes every step take at least this long (to test behavior mid-generation). */
    public void stepDelayNanos(long nanos) {
        this.stepDelayNanos = nanos;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Tokens of each executed step, in order. */
    public synchronized List<Integer> stepTokenCounts() {
        return List.copyOf(stepTokenCounts);
    }

    @Override
    public long kvCacheBytesPerBlock(int blockSize) {
        return 8L * blockSize;
    }

    @Override
    public KvCacheLayout allocateKvCache(int numBlocks, int blockSize) {
        layout = new KvCacheLayout(1, 1, 1, numBlocks, blockSize, 4);
        slotTokens = new int[layout.numSlots()];
        slotPositions = new int[layout.numSlots()];
        Arrays.fill(slotPositions, -1);
        return layout;
    }

    @Override
    public StepResult execute(StepBatch batch) {
        if (closed) {
            throw new IllegalStateException("backend is closed");
        }
        if (batch.kvLayout() != layout) {
            throw new IllegalArgumentException("batch was built for another KV layout");
        }
        if (failWhen.test(batch)) {
            throw new IllegalStateException("injected backend failure");
        }
        long delay = stepDelayNanos;
        if (delay > 0) {
            LockSupport.parkNanos(delay);
        }
        synchronized (this) {
            stepTokenCounts.add(batch.numTokens());
        }
        for (int row = 0; row < batch.numTokens(); row++) {
            slotTokens[batch.slot(row)] = batch.tokenId(row);
            slotPositions[batch.slot(row)] = batch.position(row);
        }
        int rows = batch.numSampleRows();
        if (logits.length < rows * vocabSize) {
            logits = new float[rows * vocabSize];
        }
        Arrays.fill(logits, 0, rows * vocabSize, 0f);
        int seq = 0;
        int[] context = new int[batch.maxSeqLen()];
        for (int k = 0; k < rows; k++) {
            int row = batch.sampleRow(k);
            while (batch.queryStart(seq + 1) <= row) {
                seq++;
            }
            int length = batch.position(row) + 1;
            int[] table = batch.blockTable(seq);
            int bs = layout.blockSize();
            for (int p = 0; p < length; p++) {
                int slot = table[p / bs] * bs + p % bs;
                if (slotPositions[slot] != p) {
                    throw new IllegalStateException("KV slot " + slot + " holds position " + slotPositions[slot]
                            + ", expected " + p);
                }
                context[p] = slotTokens[slot];
            }
            logits[k * vocabSize + nextToken(context, length, vocabSize)] = 1f;
        }
        return new StepResult(logits, rows, vocabSize);
    }

    @Override
    public void close() {
        closed = true;
    }
}
