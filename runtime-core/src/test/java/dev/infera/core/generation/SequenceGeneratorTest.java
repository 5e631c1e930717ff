package dev.infera.core.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.FinishReason;
import dev.infera.api.SamplingParams;
import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SequenceGeneratorTest {

    private static final int VOCAB = 50;

    /**
     * A backend whose "model" is a function of the whole context, read back through the KV slots the
     * batch names: the argmax of a row is {@link #nextOf} of the tokens stored at positions 0..pos. A
     * wrong slot mapping, block table or position in the generator changes the tokens.
     */
    static final class ContextHashBackend implements ExecutionBackend {
        int[] slotTokens;
        int steps;
        int allocations;
        float[] logits = new float[4 * VOCAB];

        @Override
        public long kvCacheBytesPerBlock(int blockSize) {
            return 4L * blockSize;
        }

        @Override
        public KvCacheLayout allocateKvCache(int numBlocks, int blockSize) {
            allocations++;
            slotTokens = new int[numBlocks * blockSize];
            Arrays.fill(slotTokens, -1);
            return new KvCacheLayout(1, 1, 1, numBlocks, blockSize, 4);
        }

        @Override
        public StepResult execute(StepBatch batch) {
            steps++;
            for (int row = 0; row < batch.numTokens(); row++) {
                slotTokens[batch.slot(row)] = batch.tokenId(row);
            }
            int blockSize = batch.kvLayout().blockSize();
            for (int i = 0; i < batch.numSampleRows(); i++) {
                int row = batch.sampleRow(i);
                int pos = batch.position(row);
                int[] table = batch.blockTable(0);
                List<Integer> context = new ArrayList<>();
                for (int p = 0; p <= pos; p++) {
                    context.add(slotTokens[table[p / blockSize] * blockSize + p % blockSize]);
                }
                Arrays.fill(logits, i * VOCAB, (i + 1) * VOCAB, 0f);
                logits[i * VOCAB + nextOf(context)] = 5f;
            }
            return new StepResult(logits, batch.numSampleRows(), VOCAB);
        }

        @Override
        public void close() {
        }
    }

    static int nextOf(List<Integer> context) {
        int h = 17;
        for (int t : context) {
            if (t < 0) {
                throw new AssertionError("read an unwritten KV slot");
            }
            h = h * 31 + t;
        }
        return Math.floorMod(h, VOCAB);
    }

    static int[] expectedGreedy(int[] prompt, int count) {
        List<Integer> context = new ArrayList<>();
        for (int t : prompt) {
            context.add(t);
        }
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = nextOf(context);
            context.add(out[i]);
        }
        return out;
    }

    private static final int[] PROMPT = {1, 7, 3, 9, 12, 40, 2, 8, 8, 8, 30, 31, 32, 33, 34, 35, 36, 37, 38};

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 16, 1000})
    void greedyTokensFollowTheWholeContextWhateverThePrefillChunk(int chunk) {
        ContextHashBackend backend = new ContextHashBackend();
        SequenceGenerator gen = new SequenceGenerator(backend, VOCAB, 512, chunk);
        List<Integer> seen = new ArrayList<>();
        TokenRun run = gen.generate(PROMPT, SamplingParams.builder().temperature(0).maxTokens(40).build(),
                new int[0], (t, lp) -> {
                    seen.add(t);
                    return null;
                });
        assertThat(run.tokenIds()).containsExactly(expectedGreedy(PROMPT, 40));
        assertThat(seen).containsExactly(Arrays.stream(run.tokenIds()).boxed().toArray(Integer[]::new));
        assertThat(run.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
        assertThat(run.promptTokens()).isEqualTo(PROMPT.length);
        assertThat(run.completionTokens()).isEqualTo(40);
        // prefill steps + one step per generated token except the last
        assertThat(backend.steps).isEqualTo((PROMPT.length + chunk - 1) / chunk + 39);
        assertThat(run.timeToFirstTokenNanos()).isPositive();
        assertThat(run.tokenNanos()).isSorted();
        assertThat(run.decodeTokensPerSecond()).isPositive();
    }

    @Test
    void aStopTokenEndsTheRunIsReportedButNotPassedOn() {
        int[] expected = expectedGreedy(PROMPT, 40);
        int stop = expected[5];
        int firstStop = 0;
        while (expected[firstStop] != stop) {
            firstStop++;
        }
        SequenceGenerator gen = new SequenceGenerator(new ContextHashBackend(), VOCAB, 512, 8);
        List<Integer> seen = new ArrayList<>();
        TokenRun run = gen.generate(PROMPT, SamplingParams.builder().temperature(0).maxTokens(40).build(),
                new int[] {stop}, (t, lp) -> {
                    seen.add(t);
                    return null;
                });
        assertThat(run.finishReason()).isEqualTo(FinishReason.STOP_TOKEN);
        assertThat(run.tokenIds()).containsExactly(Arrays.copyOf(expected, firstStop + 1));
        assertThat(seen).hasSize(firstStop).doesNotContain(stop);

        TokenRun ignoring = gen.generate(PROMPT, SamplingParams.builder().temperature(0).maxTokens(40).ignoreEos(true)
                .build(), new int[] {stop}, (t, lp) -> null);
        assertThat(ignoring.tokenIds()).containsExactly(expected);
        TokenRun viaParams = gen.generate(PROMPT, SamplingParams.builder().temperature(0).maxTokens(40)
                .stopTokenIds(List.of(stop)).ignoreEos(true).build(), new int[0], (t, lp) -> null);
        assertThat(viaParams.finishReason()).isEqualTo(FinishReason.STOP_TOKEN);
    }

    @Test
    void theListenerCanEndTheRunAndTheContextLengthCapsIt() {
        ContextHashBackend backend = new ContextHashBackend();
        SequenceGenerator gen = new SequenceGenerator(backend, VOCAB, 25, 4);
        int[] count = {0};
        TokenRun stopped = gen.generate(PROMPT, SamplingParams.builder().temperature(0).build(), new int[0],
                (t, lp) -> ++count[0] == 3 ? FinishReason.STOP_STRING : null);
        assertThat(stopped.finishReason()).isEqualTo(FinishReason.STOP_STRING);
        assertThat(stopped.tokenIds()).hasSize(3);
        TokenRun capped = gen.generate(PROMPT, SamplingParams.builder().temperature(0).maxTokens(100).build(),
                new int[0], (t, lp) -> null);
        assertThat(capped.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
        assertThat(capped.tokenIds()).containsExactly(expectedGreedy(PROMPT, 25 - PROMPT.length));
        assertThat(backend.allocations).isEqualTo(1);
    }

    @Test
    void sampledRunsWithTheSameSeedRepeat() {
        SequenceGenerator gen = new SequenceGenerator(new ContextHashBackend(), VOCAB, 512, 8);
        SamplingParams p = SamplingParams.builder().temperature(1.5).topP(0.99).seed(77).maxTokens(30).logprobs(2).build();
        List<Float> logprobs = new ArrayList<>();
        TokenRun a = gen.generate(PROMPT, p, new int[0], (t, lp) -> {
            logprobs.add(lp.logprob());
            return null;
        });
        TokenRun b = gen.generate(PROMPT, p, new int[0], (t, lp) -> null);
        assertThat(b.tokenIds()).containsExactly(a.tokenIds());
        assertThat(logprobs).hasSize(30).allMatch(v -> v <= 0);
        assertThat(a.logprobs()).hasSize(30);
        assertThat(a.logprobs().get(4).logprob()).isEqualTo(logprobs.get(4));
        assertThat(a.logprobs().get(4).tokenId()).isEqualTo(a.tokenIds()[4]);
    }

    @Test
    void badPromptsAreRejected() {
        SequenceGenerator gen = new SequenceGenerator(new ContextHashBackend(), VOCAB, 10, 8);
        SamplingParams p = SamplingParams.greedy();
        assertThatThrownBy(() -> gen.generate(new int[0], p, new int[0], (t, lp) -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no tokens");
        assertThatThrownBy(() -> gen.generate(new int[] {1, VOCAB}, p, new int[0], (t, lp) -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the vocabulary");
        assertThatThrownBy(() -> gen.generate(new int[10], p, new int[0], (t, lp) -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("context");
    }
}
