package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.FinishReason;
import dev.infera.api.SamplingParams;
import dev.infera.core.backend.BackendContext;
import dev.infera.core.generation.SequenceGenerator;
import dev.infera.core.generation.TokenRun;
import dev.infera.core.model.LoadedModel;
import dev.infera.core.testing.SharedModels;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The core generation loop on the real CPU backend: greedy decoding of stories260K from BOS gives
 * run.c's recorded token ids, also when part of that sequence is given as a prompt and prefilled in
 * chunks (so prefill and decode agree through the paged KV cache).
 */
class Stories260KSequenceGeneratorTest {

    private static LoadedModel model;
    private static CpuBackend backend;
    private static int[] runCTokens;

    @BeforeAll
    static void load() {
        model = LoadedModel.open(SharedModels.file("stories260K.gguf"));
        TraceFile trace = TraceFile.read(SharedModels.file("reference/stories260K/greedy_t0_n256.trace.txt"));
        runCTokens = trace.steps().stream().mapToInt(TraceFile.Step::next).toArray();
        backend = CpuBackend.create(new BackendContext(model.weights(), 2));
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
        if (model != null) {
            model.close();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 30, 120})
    void greedyContinuationEqualsRunC(int promptFromTrace) {
        int[] prompt = new int[1 + promptFromTrace];
        prompt[0] = 1;
        System.arraycopy(runCTokens, 0, prompt, 1, promptFromTrace);
        int generate = 200 - promptFromTrace;
        SequenceGenerator generator = new SequenceGenerator(backend, model.config().vocabSize(),
                model.config().contextLength(), 7);
        TokenRun run = generator.generate(prompt, SamplingParams.builder().temperature(0).maxTokens(generate).build(),
                new int[] {2}, (token, logprobs) -> null);
        assertThat(run.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
        assertThat(run.tokenIds())
                .containsExactly(Arrays.copyOfRange(runCTokens, promptFromTrace, promptFromTrace + generate));
    }
}
