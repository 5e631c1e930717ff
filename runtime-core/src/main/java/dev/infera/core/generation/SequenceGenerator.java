package dev.infera.core.generation;

import dev.infera.api.FinishReason;
import dev.infera.api.SamplingParams;
import dev.infera.api.TokenLogprobs;
import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatchBuilder;
import dev.infera.core.backend.StepResult;
import dev.infera.core.sampling.Sampler;
import dev.infera.core.sampling.SamplingWorkspace;
import dev.infera.core.sampling.StopConditions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Generates the tokens of one request at a time on one backend: the prompt runs through the model in
 * chunks of at most {@code prefillChunkTokens} (only the last chunk's final row is sampled), then
 * each sampled token is fed back one step at a time until a stop token, the request's token limit,
 * the model's context length, or the sink ends the run.
 *
 * <p>This is the direct path behind {@code infera generate}; the batching engine serves many requests
 * with the same parts (backend steps, {@link Sampler}, {@link StopConditions}) and must give the
 * same tokens. The KV cache is one block table of consecutive blocks, sized for the run and kept for
 * the next run when it is large enough. Not thread-safe: one run at a time.
 */
public final class SequenceGenerator {

    /** KV block size used by this generator, in tokens. */
    public static final int BLOCK_SIZE = 16;

    private final ExecutionBackend backend;
    private final int vocabSize;
    private final int contextLength;
    private final int prefillChunkTokens;
    private final SamplingWorkspace workspace;
    private KvCacheLayout kvLayout;

    /**
     * @param vocabSize          logits per row the backend returns
     * @param contextLength      most positions a sequence may use (prompt plus generated tokens)
     * @param prefillChunkTokens most prompt tokens per backend step
     */
    public SequenceGenerator(ExecutionBackend backend, int vocabSize, int contextLength, int prefillChunkTokens) {
        this.backend = Objects.requireNonNull(backend, "backend");
        if (vocabSize < 1 || contextLength < 2 || prefillChunkTokens < 1) {
            throw new IllegalArgumentException("vocabSize must be >= 1, contextLength >= 2 and prefillChunkTokens >= 1, got "
                    + vocabSize + ", " + contextLength + ", " + prefillChunkTokens);
        }
        this.vocabSize = vocabSize;
        this.contextLength = contextLength;
        this.prefillChunkTokens = prefillChunkTokens;
        this.workspace = new SamplingWorkspace(vocabSize);
    }

    /**
     * Runs one request.
     *
     * @param promptTokenIds the prompt, already tokenized (with BOS when the model wants one); not empty
     * @param eosTokenIds    the model's end-of-sequence ids (ignored when the request says so)
     * @param sink       receives every output token; may end the run
     * @throws IllegalArgumentException when the prompt is empty, has an id outside the vocabulary, or
     *                                  leaves no room in the context for a generated token
     */
    public TokenRun generate(int[] promptTokenIds, SamplingParams params, int[] eosTokenIds, TokenSink sink) {
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(sink, "sink");
        int promptLength = promptTokenIds.length;
        if (promptLength == 0) {
            throw new IllegalArgumentException("the prompt has no tokens (a model without BOS needs a non-empty prompt)");
        }
        for (int i = 0; i < promptLength; i++) {
            if (promptTokenIds[i] < 0 || promptTokenIds[i] >= vocabSize) {
                throw new IllegalArgumentException("prompt token " + i + " has id " + promptTokenIds[i]
                        + ", outside the vocabulary 0.." + (vocabSize - 1));
            }
        }
        if (promptLength >= contextLength) {
            throw new IllegalArgumentException("the prompt has " + promptLength + " tokens but the context holds "
                    + contextLength + ": no room to generate");
        }
        int tokenBudget = Math.min(params.maxTokens(), contextLength - promptLength);
        int[] blockTable = blockTableFor(promptLength + tokenBudget);
        Sampler sampler = new Sampler(params, workspace);
        sampler.addPromptTokens(promptTokenIds, 0, promptLength);
        StopConditions stops = new StopConditions(params, eosTokenIds);

        long start = System.nanoTime();
        StepResult result = null;
        for (int done = 0; done < promptLength; done += prefillChunkTokens) {
            int[] chunk = Arrays.copyOfRange(promptTokenIds, done, Math.min(promptLength, done + prefillChunkTokens));
            boolean last = done + chunk.length == promptLength;
            result = backend.execute(new StepBatchBuilder(kvLayout).addSequence(blockTable, done, chunk, last).build());
        }
        int[] generated = new int[tokenBudget];
        long[] tokenNanos = new long[tokenBudget];
        List<TokenLogprobs> logprobs = params.logprobsEnabled() ? new ArrayList<>() : List.of();
        int numGenerated = 0;
        FinishReason finish = null;
        while (finish == null) {
            int token = sampler.sample(result.logits(), result.offset(0), vocabSize);
            tokenNanos[numGenerated] = System.nanoTime() - start;
            generated[numGenerated++] = token;
            if (params.logprobsEnabled()) {
                logprobs.add(sampler.lastLogprobs());
            }
            finish = stops.check(token, numGenerated);
            if (finish != FinishReason.STOP_TOKEN) {
                FinishReason bySink = sink.onToken(token, sampler.lastLogprobs());
                if (bySink != null) {
                    finish = bySink;
                } else if (finish == null && numGenerated == tokenBudget) {
                    finish = FinishReason.MAX_TOKENS;
                }
            }
            if (finish == null) {
                int position = promptLength + numGenerated - 1;
                result = backend.execute(new StepBatchBuilder(kvLayout)
                        .addSequence(blockTable, position, new int[] {token}, true).build());
            }
        }
        return new TokenRun(Arrays.copyOf(generated, numGenerated), finish, promptLength,
                Arrays.copyOf(tokenNanos, numGenerated), System.nanoTime() - start, logprobs);
    }

    private int[] blockTableFor(int positions) {
        int numBlocks = (positions + BLOCK_SIZE - 1) / BLOCK_SIZE;
        if (kvLayout == null || kvLayout.numBlocks() < numBlocks) {
            kvLayout = backend.allocateKvCache(numBlocks, BLOCK_SIZE);
        }
        int[] table = new int[numBlocks];
        Arrays.setAll(table, i -> i);
        return table;
    }
}
