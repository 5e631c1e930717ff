package dev.infera.core.generation;

import dev.infera.api.FinishReason;
import dev.infera.api.GenerationResult;
import dev.infera.api.GenerationTimings;
import dev.infera.api.SamplingParams;
import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.BackendProvider;
import dev.infera.core.backend.Backends;
import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.model.LoadedModel;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.sampling.StopMatcher;
import dev.infera.core.tokenizer.StreamingDetokenizer;
import dev.infera.core.tokenizer.Tokenizer;
import dev.infera.core.tokenizer.TokenizerGguf;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Text in, text out, one request at a time, without the batching engine: tokenizes the prompt (with
 * BOS when the vocabulary asks for it), runs a {@link SequenceGenerator}, and turns the generated ids
 * into streamed text through a detokenizer and a {@link StopMatcher}.
 *
 * <p>The text follows the engine's rules exactly, so both paths print the same: the result's text is
 * the generated continuation only (not the prompt); the detokenizer is primed with the prompt's last
 * token, so the first piece loses its leading space only when it directly follows BOS (as at the start
 * of a text); stop tokens add no text; a stop string and everything after it are cut; text held back
 * while a stop string was possible is released when the run ends for another reason.
 */
public final class TextGenerator implements AutoCloseable {

    private final SequenceGenerator generator;
    private final Tokenizer tokenizer;
    private final int[] eosTokenIds;
    private final String description;
    private final AutoCloseable[] owned;
    private long nextRequestId = 1;

    /** A generator over parts the caller owns (and closes). */
    public TextGenerator(ExecutionBackend backend, Tokenizer tokenizer, int vocabSize, int contextLength,
            int[] eosTokenIds, int prefillChunkTokens) {
        this(new SequenceGenerator(backend, vocabSize, contextLength, prefillChunkTokens), tokenizer, eosTokenIds,
                "vocab " + vocabSize + ", context " + contextLength, new AutoCloseable[0]);
    }

    private TextGenerator(SequenceGenerator generator, Tokenizer tokenizer, int[] eosTokenIds, String description,
            AutoCloseable[] owned) {
        this.generator = generator;
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.eosTokenIds = eosTokenIds.clone();
        this.description = description;
        this.owned = owned;
    }

    /**
     * Opens a GGUF model with its tokenizer on a backend found through the backend SPI.
     *
     * @param backendId  {@code auto} for the best available, or a provider id such as {@code cpu}
     * @param numThreads compute threads for the backend
     */
    public static TextGenerator open(Path modelPath, String backendId, int numThreads) {
        LoadedModel model = LoadedModel.open(modelPath);
        ExecutionBackend backend = null;
        try {
            ModelConfig config = model.config();
            Tokenizer tokenizer = TokenizerGguf.load(model.gguf().metadata());
            BackendProvider provider = Backends.select(backendId);
            backend = provider.create(new BackendContext(model.weights(), numThreads));
            String description = config.architecture() + " model " + modelPath.getFileName() + " (" + config.numLayers()
                    + " layers, vocab " + config.vocabSize() + ", context " + config.contextLength() + ") on backend "
                    + provider.id() + " with " + numThreads + " threads";
            SequenceGenerator generator = new SequenceGenerator(backend, config.vocabSize(), config.contextLength(),
                    512);
            return new TextGenerator(generator, tokenizer, tokenizer.eogIds(), description,
                    new AutoCloseable[] {backend, model});
        } catch (RuntimeException e) {
            if (backend != null) {
                backend.close();
            }
            model.close();
            throw e;
        }
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** One line naming the model and backend. */
    public String description() {
        return description;
    }

    /** Generates from a text prompt; {@code onText} receives each released piece of text as it is ready. */
    public GenerationResult generate(String prompt, SamplingParams params, Consumer<String> onText) {
        Objects.requireNonNull(prompt, "prompt");
        return generate(tokenizer.encode(prompt), params, onText);
    }

    /** Generates from prompt token ids (give BOS yourself when the model wants it). */
    public GenerationResult generate(int[] promptTokens, SamplingParams params, Consumer<String> onText) {
        Objects.requireNonNull(onText, "onText");
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt encodes to no tokens (this model adds no BOS token); "
                    + "give a non-empty prompt");
        }
        StreamingDetokenizer detokenizer = tokenizer.newDetokenizer();
        detokenizer.accept(promptTokens[promptTokens.length - 1]);
        StopMatcher stopMatcher = new StopMatcher(params.stopStrings());
        StringBuilder text = new StringBuilder();
        TokenRun run = generator.generate(promptTokens, params, eosTokenIds, (token, logprobs) -> {
            String released = stopMatcher.accept(detokenizer.acceptModelToken(token));
            emit(released, text, onText);
            return stopMatcher.stopped() ? FinishReason.STOP_STRING : null;
        });
        FinishReason finish = run.finishReason();
        if (finish != FinishReason.STOP_STRING) {
            emit(stopMatcher.finish(detokenizer.flush()), text, onText);
            if (stopMatcher.stopped()) {
                finish = FinishReason.STOP_STRING;
            }
        }
        List<Integer> ids = new ArrayList<>(run.completionTokens());
        for (int id : run.tokenIds()) {
            ids.add(id);
        }
        return new GenerationResult(nextRequestId++, text.toString(), ids, finish, run.promptTokens(), 0,
                run.completionTokens(), timings(run), run.logprobs());
    }

    private static void emit(String released, StringBuilder text, Consumer<String> onText) {
        if (!released.isEmpty()) {
            text.append(released);
            onText.accept(released);
        }
    }

    private static GenerationTimings timings(TokenRun run) {
        long[] at = run.tokenNanos();
        List<Duration> gaps = new ArrayList<>(Math.max(0, at.length - 1));
        for (int i = 1; i < at.length; i++) {
            gaps.add(Duration.ofNanos(at[i] - at[i - 1]));
        }
        Duration perToken = gaps.isEmpty() ? Duration.ZERO : Duration.ofNanos(run.decodeNanos() / gaps.size());
        return new GenerationTimings(Duration.ZERO, Duration.ofNanos(run.timeToFirstTokenNanos()), perToken, gaps,
                Duration.ofNanos(run.totalNanos()));
    }

    /** Closes the backend and the model file when this generator opened them. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing " + c + " failed: " + e.getMessage(), e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
