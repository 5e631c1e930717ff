package dev.infera.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.testing.PagedSequences;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Runs the same serving-like schedule on a backend under test and a reference backend and compares
 * every sampled row's logits: {@code numPrompts} random prompts fed in chunks of {@code chunk} tokens
 * while finished ones decode, so steps mix prefill chunks and decodes, then pure decode steps (which a
 * GPU backend replays as CUDA graphs) until each sequence produced {@code decodeSteps} tokens. Both
 * backends are fed the reference's greedy tokens, so they stay on the same path even where a lossy
 * format flips a near tie.
 */
public final class BackendComparison {

    /** The worst relative logits error seen, and how many greedy choices agreed. */
    public record Outcome(double worstRelativeError, int greedyAgreed, int greedyTotal) {
    }

    private BackendComparison() {
    }

    public static Outcome run(ExecutionBackend subject, ExecutionBackend reference, int vocab, long seed, int numPrompts,
            int chunk, int decodeSteps, double tolerance) {
        Random rnd = new Random(seed);
        int[][] prompts = new int[numPrompts][];
        for (int i = 0; i < numPrompts; i++) {
            prompts[i] = new int[1 + rnd.nextInt(2 * chunk)];
            for (int j = 0; j < prompts[i].length; j++) {
                prompts[i][j] = rnd.nextInt(vocab);
            }
        }
        PagedSequences a = new PagedSequences(subject, 256, 16, seed);
        PagedSequences b = new PagedSequences(reference, 256, 16, seed + 1);
        int[] fed = new int[numPrompts];
        int[] produced = new int[numPrompts];
        int[] next = new int[numPrompts];
        for (int i = 0; i < numPrompts; i++) {
            a.newSequence();
            b.newSequence();
        }
        double worst = 0;
        int agreed = 0;
        int total = 0;
        boolean busy = true;
        for (int stepIndex = 0; busy; stepIndex++) {
            List<PagedSequences.Feed> feeds = new ArrayList<>();
            List<Integer> owners = new ArrayList<>();
            for (int i = 0; i < numPrompts; i++) {
                if (fed[i] < prompts[i].length) {
                    int end = Math.min(prompts[i].length, fed[i] + chunk);
                    boolean last = end == prompts[i].length;
                    feeds.add(new PagedSequences.Feed(i, Arrays.copyOfRange(prompts[i], fed[i], end), last));
                    if (last) {
                        owners.add(i);
                    }
                    fed[i] = end;
                } else if (produced[i] < decodeSteps) {
                    feeds.add(new PagedSequences.Feed(i, new int[] {next[i]}, true));
                    owners.add(i);
                }
            }
            float[][] got = a.step(feeds);
            float[][] want = b.step(feeds);
            assertThat(got.length).isEqualTo(want.length).isEqualTo(owners.size());
            for (int r = 0; r < got.length; r++) {
                double err = PagedSequences.relativeError(got[r], want[r]);
                worst = Math.max(worst, err);
                assertThat(err).as("step %d, sequence %d: logits relative error", stepIndex, owners.get(r))
                        .isLessThanOrEqualTo(tolerance);
                int i = owners.get(r);
                next[i] = PagedSequences.argmax(want[r]);
                agreed += PagedSequences.argmax(got[r]) == next[i] ? 1 : 0;
                total++;
                produced[i]++;
            }
            busy = false;
            for (int i = 0; i < numPrompts; i++) {
                busy |= produced[i] < decodeSteps;
            }
        }
        return new Outcome(worst, agreed, total);
    }
}
