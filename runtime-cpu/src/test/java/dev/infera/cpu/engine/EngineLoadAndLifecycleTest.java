package dev.infera.cpu.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.EngineClosedException;
import dev.infera.api.FinishReason;
import dev.infera.api.GenerationFailedException;
import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.InferenceEngine;
import dev.infera.api.QueueFullException;
import dev.infera.api.RequestHandle;
import dev.infera.api.RequestTooLargeException;
import dev.infera.api.SamplingParams;
import dev.infera.api.TokenChunk;
import dev.infera.api.TokenListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Load, and every way a request can end, on the real CPU backend with stories260K. */
class EngineLoadAndLifecycleTest {

    private static GenerationRequest request(String prompt, int maxTokens, boolean ignoreEos) {
        return GenerationRequest.builder().prompt(prompt)
                .sampling(SamplingParams.builder().temperature(0).maxTokens(maxTokens).ignoreEos(ignoreEos).build())
                .build();
    }

    /** Counts terminal calls, so a test can check each request ends exactly once. */
    static class Terminal implements TokenListener {
        final AtomicInteger tokens = new AtomicInteger();
        final AtomicInteger ends = new AtomicInteger();
        volatile Throwable error;

        @Override
        public void onToken(TokenChunk chunk) {
            tokens.incrementAndGet();
        }

        @Override
        public void onComplete(GenerationResult result) {
            ends.incrementAndGet();
        }

        @Override
        public void onError(Throwable e) {
            error = e;
            ends.incrementAndGet();
        }
    }

    @Test
    void tenThousandShortRequestsFromThirtyTwoThreadsAllCompleteOnce() throws Exception {
        EngineStories260KTest.locate();
        int threads = 32;
        int perThread = 10_000 / threads + 1;
        int total = threads * perThread;
        ConcurrentHashMap<Long, Integer> completions = new ConcurrentHashMap<>();
        AtomicInteger backoffs = new AtomicInteger();
        try (InferenceEngine engine = EngineStories260KTest.builder().maxQueuedRequests(1024).build()) {
            List<CompletableFuture<GenerationResult>> futures = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch submitted = new CountDownLatch(threads);
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < perThread; i++) {
                        GenerationRequest r = request(EngineStories260KTest.prompt(thread * 7 + i), 1 + i % 2, true);
                        while (true) {
                            try {
                                RequestHandle h = engine.submit(r, TokenListener.none());
                                futures.add(h.result().whenComplete((res, err) ->
                                        completions.merge(h.id(), 1, Integer::sum)));
                                break;
                            } catch (QueueFullException e) {
                                backoffs.incrementAndGet();
                                try {
                                    Thread.sleep(1);
                                } catch (InterruptedException ie) {
                                    Thread.currentThread().interrupt();
                                    return;
                                }
                            }
                        }
                    }
                    submitted.countDown();
                });
            }
            assertThat(submitted.await(120, TimeUnit.SECONDS)).isTrue();
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            assertThat(futures).hasSize(total);
            for (CompletableFuture<GenerationResult> f : futures) {
                assertThat(f.get().completionTokens()).isBetween(1, 2);
            }
            assertThat(completions).hasSize(total);
            assertThat(completions.values()).allMatch(n -> n == 1);
            assertThat(engine.stats().finishedRequests()).isEqualTo(total);
            assertThat(engine.stats().kvBlocksUsed()).isZero();
            System.out.printf("load: %d requests, %d queue-full backoffs, %s%n", total, backoffs.get(), engine.stats());
        }
    }

    @Test
    void everyWayOfEndingFreesTheCacheAndEndsOnce() throws Exception {
        EngineStories260KTest.locate();
        long bytesPerBlock = 2L * 5 * 4 * 8 * 16 * Float.BYTES;
        InferenceEngine engine = EngineStories260KTest.builder().kvCacheBytes(64 * bytesPerBlock).maxQueuedRequests(8)
                .build();
        List<Terminal> listeners = new ArrayList<>();
        // Cancel mid-stream.
        Terminal cancelled = new Terminal();
        listeners.add(cancelled);
        RequestHandle h = engine.submit(request("Once upon a time", 900, true), cancelled);
        while (cancelled.tokens.get() < 3) {
            Thread.sleep(1);
        }
        h.cancel();
        assertThat(h.result().get(30, TimeUnit.SECONDS).finishReason()).isEqualTo(FinishReason.CANCELLED);
        // Deadline.
        Terminal late = new Terminal();
        listeners.add(late);
        GenerationRequest slow = GenerationRequest.builder().prompt("The little dog").timeout(Duration.ofMillis(30))
                .sampling(SamplingParams.builder().temperature(0).maxTokens(1000).ignoreEos(true).build()).build();
        assertThat(engine.submit(slow, late).result().get(30, TimeUnit.SECONDS).finishReason())
                .isEqualTo(FinishReason.DEADLINE);
        // Never fits: 64 blocks of 16 tokens hold 1024.
        Terminal huge = new Terminal();
        listeners.add(huge);
        CompletableFuture<GenerationResult> tooLarge = engine.submit(request("Lily", 1500, true), huge).result();
        assertThatThrownBy(() -> tooLarge.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(RequestTooLargeException.class).hasMessageContaining("1024 tokens");
        // Throwing listener.
        Terminal throwing = new Terminal() {
            @Override
            public void onToken(TokenChunk chunk) {
                super.onToken(chunk);
                throw new IllegalStateException("bad listener");
            }
        };
        listeners.add(throwing);
        CompletableFuture<GenerationResult> broken = engine.submit(request("Tom", 200, true), throwing).result();
        assertThatThrownBy(() -> broken.get(30, TimeUnit.SECONDS)).cause()
                .isInstanceOf(GenerationFailedException.class).hasRootCauseMessage("bad listener");
        // Blocks are freed on the engine thread right after it ends the request; stats follow within a step.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (engine.stats().kvBlocksUsed() != 0 && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertThat(engine.stats().kvBlocksUsed()).isZero();
        // Full inbox, then close with requests in flight.
        int rejected = 0;
        List<RequestHandle> inFlight = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Terminal t = new Terminal();
            try {
                inFlight.add(engine.submit(request("Bob wanted " + i, 800, true), t));
                listeners.add(t);
            } catch (QueueFullException e) {
                rejected++;
            }
        }
        assertThat(rejected).isPositive();
        engine.close();
        for (RequestHandle r : inFlight) {
            assertThat(r.result()).isDone();
        }
        assertThat(inFlight).anySatisfy(r -> assertThat(r.result()).isCompletedExceptionally());
        for (Terminal t : listeners) {
            assertThat(t.ends.get()).isEqualTo(1);
        }
        assertThat(engine.stats().kvBlocksUsed()).isZero();
        assertThatThrownBy(() -> engine.generate(request("x", 2, false))).isInstanceOf(EngineClosedException.class);
    }
}
