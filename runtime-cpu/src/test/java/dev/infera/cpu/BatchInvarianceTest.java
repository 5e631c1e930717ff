package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.KvCacheType;
import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.model.LoadedModel;
import dev.infera.core.testing.PagedSequences;
import dev.infera.core.testing.SharedModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A sequence's results must not depend on what shares its steps or how its prompt is chunked: eight
 * prompts run together (prompts fed in chunks, finished ones decoding while others still prefill)
 * must give each sequence the greedy tokens and logits it gets alone with a one-shot prefill.
 */
class BatchInvarianceTest {

    private static final int NUM_PROMPTS = 8;
    private static final int DECODE_STEPS = 20;
    private static final int CHUNK = 7;
    private static int[][] prompts;

    @BeforeAll
    static void prompts() {
        Random rnd = new Random(42);
        prompts = new int[NUM_PROMPTS][];
        for (int i = 0; i < NUM_PROMPTS; i++) {
            prompts[i] = new int[3 + rnd.nextInt(30)];
            prompts[i][0] = 1;
            for (int j = 1; j < prompts[i].length; j++) {
                prompts[i][j] = 3 + rnd.nextInt(509);
            }
        }
    }

    @AfterAll
    static void clear() {
        prompts = null;
    }

    /** Greedy tokens and the logits that chose them, per decode step. */
    private record Run(int[] tokens, float[][] logits) {
    }

    /**
     * With an F16 cache (the default for the Q8_0 model) the logits may differ by more than float
     * rounding: a key or value computed by a different matrix kernel (a one-shot prefill and 7-token
     * chunks take different ones) can differ in its last float bit, and where that straddles an F16
     * rounding boundary the stored halves differ by one F16 step (~5e-4 relative). Tokens must still
     * agree. The element size checks what AUTO chose: F32 for the F32 model, F16 for the Q8_0 one.
     */
    @ParameterizedTest
    @CsvSource({"stories260K.gguf, AUTO, 4, 1e-5", "derived/stories260K-llamacpp/stories260K-Q8_0.gguf, F32, 4, 1e-5",
        "derived/stories260K-llamacpp/stories260K-Q8_0.gguf, AUTO, 2, 1e-3"})
    void batchedAndChunkedEqualAlone(String file, KvCacheType kvCacheType, int elementBytes, double tolerance) {
        try (LoadedModel model = LoadedModel.open(SharedModels.file(file));
                CpuBackend backend = CpuBackend.create(new BackendContext(model.weights(), 2, kvCacheType))) {
            assertThat(backend.kvCacheBytesPerBlock(16))
                    .isEqualTo(KvCacheLayout.bytesPerBlock(model.config(), 16, elementBytes));
            Run[] alone = new Run[NUM_PROMPTS];
            for (int i = 0; i < NUM_PROMPTS; i++) {
                alone[i] = alone(backend, prompts[i]);
            }
            Run[] batched = batched(backend);
            double worst = 0;
            for (int i = 0; i < NUM_PROMPTS; i++) {
                assertThat(batched[i].tokens()).as("greedy tokens of prompt %d", i).containsExactly(alone[i].tokens());
                for (int step = 0; step < DECODE_STEPS; step++) {
                    double err = PagedSequences.relativeError(batched[i].logits()[step], alone[i].logits()[step]);
                    worst = Math.max(worst, err);
                    assertThat(err).as("prompt %d, step %d", i, step).isLessThanOrEqualTo(tolerance);
                }
            }
            System.out.printf("batch invariance %s, KV %s: worst logits relative error batched vs alone %.3g%n", file,
                    kvCacheType, worst);
        }
    }

    private static Run alone(CpuBackend backend, int[] prompt) {
        PagedSequences seqs = new PagedSequences(backend, 64, 16, prompt.length);
        int seq = seqs.newSequence();
        int[] tokens = new int[DECODE_STEPS];
        float[][] logits = new float[DECODE_STEPS][];
        float[] last = seqs.step(seq, prompt);
        for (int step = 0; step < DECODE_STEPS; step++) {
            logits[step] = last;
            tokens[step] = PagedSequences.argmax(last);
            if (step + 1 < DECODE_STEPS) {
                last = seqs.step(seq, tokens[step]);
            }
        }
        return new Run(tokens, logits);
    }

    private static Run[] batched(CpuBackend backend) {
        PagedSequences seqs = new PagedSequences(backend, 64, 16, 99);
        int[] ids = new int[NUM_PROMPTS];
        int[] fed = new int[NUM_PROMPTS];
        int[] produced = new int[NUM_PROMPTS];
        int[] next = new int[NUM_PROMPTS];
        Run[] runs = new Run[NUM_PROMPTS];
        for (int i = 0; i < NUM_PROMPTS; i++) {
            ids[i] = seqs.newSequence();
            runs[i] = new Run(new int[DECODE_STEPS], new float[DECODE_STEPS][]);
        }
        boolean busy = true;
        while (busy) {
            List<PagedSequences.Feed> feeds = new ArrayList<>();
            List<Integer> owners = new ArrayList<>();
            for (int i = NUM_PROMPTS - 1; i >= 0; i--) {
                if (fed[i] < prompts[i].length) {
                    int end = Math.min(prompts[i].length, fed[i] + CHUNK);
                    feeds.add(new PagedSequences.Feed(ids[i], Arrays.copyOfRange(prompts[i], fed[i], end),
                            end == prompts[i].length));
                    if (end == prompts[i].length) {
                        owners.add(i);
                    }
                    fed[i] = end;
                } else if (produced[i] < DECODE_STEPS) {
                    feeds.add(new PagedSequences.Feed(ids[i], new int[] {next[i]}, true));
                    owners.add(i);
                }
            }
            float[][] rows = seqs.step(feeds);
            assertThat(rows.length).isEqualTo(owners.size());
            for (int r = 0; r < rows.length; r++) {
                int i = owners.get(r);
                runs[i].logits()[produced[i]] = rows[r];
                next[i] = PagedSequences.argmax(rows[r]);
                runs[i].tokens()[produced[i]] = next[i];
                produced[i]++;
            }
            busy = false;
            for (int i = 0; i < NUM_PROMPTS; i++) {
                busy |= produced[i] < DECODE_STEPS;
            }
        }
        return runs;
    }
}
