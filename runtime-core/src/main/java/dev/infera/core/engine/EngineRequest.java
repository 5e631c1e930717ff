package dev.infera.core.engine;

import dev.infera.api.FinishReason;
import dev.infera.api.GenerationFailedException;
import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.GenerationTimings;
import dev.infera.api.InferaException;
import dev.infera.api.RequestHandle;
import dev.infera.api.TokenChunk;
import dev.infera.api.TokenListener;
import dev.infera.api.TokenLogprobs;
import dev.infera.core.engine.sched.Sequence;
import dev.infera.core.sampling.Sampler;
import dev.infera.core.sampling.StopConditions;
import dev.infera.core.sampling.StopMatcher;
import dev.infera.core.tokenizer.StreamingDetokenizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request inside the engine: the scheduler's {@link Sequence} plus everything that turns sampled
 * tokens into output (sampler, stop conditions, detokenizer, stop-string matcher, timings) and the
 * handle the caller holds.
 *
 * <p>Threads: the engine thread samples, appends and ends the request; caller threads only set the
 * cancel flag (through {@link #cancel()}); listener calls run on the callback executor through a
 * per-request {@link CallbackDispatcher}. The request ends exactly once ({@link #hasEnded()} guards it):
 * the last callback is {@code onComplete} or {@code onError}, and the future completes right after it,
 * so a caller joining the future has seen every chunk. Text that is held back when a request is cut
 * short (cancel, deadline, error) is dropped, so the chunks' texts always concatenate to the result's.
 *
 * <p>Only that last callback task completes the future, also when the caller cancels the future
 * itself: {@link ResultFuture#cancel} merely asks the engine to stop, and the future turns cancelled
 * once the listener has had its last call. After the future is completed, {@code onFinished} runs on
 * the same thread (the engine counts the request as finished there, which {@code close()} waits for).
 */
final class EngineRequest extends Sequence implements RequestHandle {

    private static final Logger log = LoggerFactory.getLogger(EngineRequest.class);

    private final TokenListener listener;
    private final CallbackDispatcher dispatcher;
    private final ResultFuture future = new ResultFuture();
    private final Consumer<EngineRequest> cancelSink;
    private final Runnable onFinished;
    private final Sampler sampler;
    private final StopConditions stops;
    private final StreamingDetokenizer detokenizer;
    private final StopMatcher stopMatcher;
    private final int maxNewTokens;
    private final long submitNanos;
    private final long deadlineNanos;
    private final StringBuilder text = new StringBuilder();
    private final List<TokenLogprobs> logprobs;
    private long firstScheduledNanos = -1;
    private long firstTokenNanos = -1;
    private long lastTokenNanos = -1;
    private long[] gapsNanos = new long[8];
    private int numGaps;
    private volatile boolean done;
    private volatile boolean cancelRequested;
    private volatile Throwable listenerFailure;
    boolean started;

    EngineRequest(long id, int[] promptTokens, GenerationRequest request, int maxNewTokens, Sampler sampler,
            StopConditions stops, StreamingDetokenizer detokenizer, long submitNanos, long deadlineNanos,
            TokenListener listener, CallbackDispatcher dispatcher, Consumer<EngineRequest> cancelSink,
            Runnable onFinished) {
        super(id, promptTokens, maxNewTokens, request.priority(), request.cacheSalt());
        this.maxNewTokens = maxNewTokens;
        this.sampler = sampler;
        this.stops = stops;
        this.detokenizer = detokenizer;
        this.stopMatcher = new StopMatcher(request.sampling().stopStrings());
        this.submitNanos = submitNanos;
        this.deadlineNanos = deadlineNanos;
        this.listener = listener;
        this.dispatcher = dispatcher;
        this.cancelSink = cancelSink;
        this.onFinished = onFinished;
        this.logprobs = request.sampling().logprobsEnabled() ? new ArrayList<>() : null;
        sampler.addPromptTokens(promptTokens, 0, promptTokens.length);
        // Decoding starts after the prompt: feeding its last token settles the detokenizer's
        // leading-space handling (stripped only right after BOS, as at the start of a text).
        textOf(promptTokens[promptTokens.length - 1]);
    }

    /** The text a token adds (ids of a padded model vocabulary carry none). */
    private String textOf(int token) {
        return detokenizer.acceptModelToken(token);
    }

    // ---- RequestHandle (any thread) ----

    @Override
    public void cancel() {
        if (!done && !cancelRequested) {
            cancelRequested = true;
            cancelSink.accept(this);
        }
    }

    @Override
    public CompletableFuture<GenerationResult> result() {
        return future;
    }

    boolean isCancelRequested() {
        return cancelRequested;
    }

    Throwable listenerFailure() {
        return listenerFailure;
    }

    long deadlineNanos() {
        return deadlineNanos;
    }

    /** Whether the request has ended (its last callback may still be on its way). */
    boolean hasEnded() {
        return done;
    }

    // ---- engine thread ----

    void markScheduled(long nowNanos) {
        if (firstScheduledNanos < 0) {
            firstScheduledNanos = nowNanos;
        }
    }

    /**
     * Samples the next token from a logits row, appends it, and streams its text. Returns why the
     * request ends with this token, or null when it goes on.
     */
    FinishReason sampleNext(float[] logits, int offset, int vocabSize, long nowNanos) {
        int token = sampler.sample(logits, offset, vocabSize);
        TokenLogprobs lp = sampler.lastLogprobs();
        appendToken(token);
        int index = numGeneratedTokens() - 1;
        if (firstTokenNanos < 0) {
            firstTokenNanos = nowNanos;
        } else {
            if (numGaps == gapsNanos.length) {
                gapsNanos = Arrays.copyOf(gapsNanos, numGaps * 2);
            }
            gapsNanos[numGaps++] = nowNanos - lastTokenNanos;
        }
        lastTokenNanos = nowNanos;
        if (logprobs != null) {
            logprobs.add(lp);
        }
        FinishReason finish = stops.check(token, index + 1);
        if (finish == null && index + 1 >= maxNewTokens) {
            finish = FinishReason.MAX_TOKENS;
        }
        String released = "";
        if (finish != FinishReason.STOP_TOKEN) {
            released = stopMatcher.accept(textOf(token));
            if (stopMatcher.stopped()) {
                finish = FinishReason.STOP_STRING;
            }
        }
        if (finish != null && finish != FinishReason.STOP_STRING) {
            released += stopMatcher.finish(detokenizer.flush());
            if (stopMatcher.stopped()) {
                finish = FinishReason.STOP_STRING;
            }
        }
        text.append(released);
        TokenChunk chunk = new TokenChunk(id(), index, token, released, lp);
        dispatcher.dispatch(() -> deliver(chunk));
        return finish;
    }

    private void deliver(TokenChunk chunk) {
        if (listenerFailure != null) {
            return;
        }
        try {
            listener.onToken(chunk);
        } catch (RuntimeException | Error e) {
            listenerFailure = e;
            cancelSink.accept(this);
        }
    }

    /** Ends the request normally. No effect when it already ended. */
    void complete(FinishReason reason, long nowNanos) {
        if (done) {
            return;
        }
        done = true;
        GenerationResult result = buildResult(reason, nowNanos);
        dispatcher.dispatch(() -> {
            Throwable failure = listenerFailure;
            if (failure != null) {
                failNow(new GenerationFailedException("request " + id() + " failed: its listener threw " + failure,
                        failure, result));
                return;
            }
            try {
                listener.onComplete(result);
            } catch (RuntimeException | Error e) {
                // The request has already ended normally; a listener failure at this point cannot
                // change its outcome (see TokenListener#onComplete).
                log.warn("listener of request {} threw from onComplete", id(), e);
            }
            settle(result, null);
        });
    }

    /** Ends the request with a failure during generation; the exception carries the partial result. */
    void failGeneration(String message, Throwable cause, long nowNanos) {
        if (done) {
            return;
        }
        fail(new GenerationFailedException(message, cause, buildResult(FinishReason.ERROR, nowNanos)));
    }

    /** Ends the request with {@code error}. No effect when it already ended. */
    void fail(InferaException error) {
        if (done) {
            return;
        }
        done = true;
        dispatcher.dispatch(() -> failNow(error));
    }

    private void failNow(InferaException error) {
        try {
            listener.onError(error);
        } catch (RuntimeException | Error e) {
            log.warn("listener of request {} threw from onError", id(), e);
        }
        settle(null, error);
    }

    /** Completes the future (or cancels it, when the caller cancelled it), then reports the request finished. */
    private void settle(GenerationResult result, Throwable error) {
        try {
            future.settle(result, error);
        } finally {
            onFinished.run();
        }
    }

    private GenerationResult buildResult(FinishReason reason, long nowNanos) {
        int completion = numGeneratedTokens();
        List<Integer> ids = new ArrayList<>(completion);
        for (int i = numPromptTokens(); i < numTokens(); i++) {
            ids.add(token(i));
        }
        List<Duration> gaps = new ArrayList<>(numGaps);
        for (int i = 0; i < numGaps; i++) {
            gaps.add(Duration.ofNanos(gapsNanos[i]));
        }
        Duration queue = Duration.ofNanos((firstScheduledNanos < 0 ? nowNanos : firstScheduledNanos) - submitNanos);
        Duration ttft = firstTokenNanos < 0 ? Duration.ZERO : Duration.ofNanos(firstTokenNanos - submitNanos);
        Duration tpot = numGaps == 0 ? Duration.ZERO : Duration.ofNanos((lastTokenNanos - firstTokenNanos) / numGaps);
        GenerationTimings timings = new GenerationTimings(queue, ttft, tpot, gaps, Duration.ofNanos(nowNanos - submitNanos));
        return new GenerationResult(id(), text.toString(), ids, reason, numPromptTokens(),
                Math.max(0, numCachedPromptTokens()), completion, timings, logprobs == null ? List.of() : logprobs);
    }

    /**
     * The result future. Cancelling it asks the engine to stop the request; the future itself is
     * completed only by the request's last callback task, as cancelled when a cancel got in before that
     * task started, and normally otherwise.
     */
    private final class ResultFuture extends CompletableFuture<GenerationResult> {

        private static final int OPEN = 0;
        private static final int CANCEL_REQUESTED = 1;
        private static final int SETTLING = 2;

        private final AtomicInteger state = new AtomicInteger();

        /**
         * Returns true when the future is, or will become, cancelled (it is then completed, as
         * cancelled, after the listener's last call, so {@code isDone()} may stay false for a moment);
         * false when the request had already reached its last callback.
         */
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            if (state.compareAndSet(OPEN, CANCEL_REQUESTED)) {
                EngineRequest.this.cancel();
                return true;
            }
            return state.get() == CANCEL_REQUESTED || isCancelled();
        }

        void settle(GenerationResult result, Throwable error) {
            if (!state.compareAndSet(OPEN, SETTLING)) {
                super.cancel(false);
            } else if (error != null) {
                completeExceptionally(error);
            } else {
                complete(result);
            }
        }
    }
}
