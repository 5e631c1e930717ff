package dev.infera.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.EngineClosedException;
import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.InferenceEngine;
import dev.infera.api.SamplingParams;
import dev.infera.api.TokenChunk;
import dev.infera.core.testing.FakeBackend;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StreamingTest {

    private static final int V = TestEngines.VOCAB;

    private static GenerationRequest greedy(int[] prompt, int maxTokens) {
        return GenerationRequest.builder().promptTokens(prompt)
                .sampling(SamplingParams.builder().temperature(0).maxTokens(maxTokens).build()).build();
    }

    /** Requests one chunk at a time, only after a pause, and records whether demand was ever exceeded. */
    static final class SlowSubscriber implements Flow.Subscriber<TokenChunk> {
        final List<TokenChunk> received = new ArrayList<>();
        final AtomicLong outstanding = new AtomicLong();
        final CountDownLatch done = new CountDownLatch(1);
        volatile boolean overrun;
        volatile Throwable error;
        volatile boolean completed;
        Flow.Subscription subscription;

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            outstanding.set(1);
            s.request(1);
        }

        @Override
        public void onNext(TokenChunk chunk) {
            if (outstanding.decrementAndGet() < 0) {
                overrun = true;
            }
            received.add(chunk);
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                outstanding.incrementAndGet();
                subscription.request(1);
            });
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            done.countDown();
        }

        @Override
        public void onComplete() {
            completed = true;
            done.countDown();
        }

        String text() {
            StringBuilder sb = new StringBuilder();
            received.forEach(c -> sb.append(c.text()));
            return sb.toString();
        }
    }

    @Test
    void publisherRespectsDemandAndMatchesTheResult() throws Exception {
        try (InferaEngine engine = TestEngines.start(new FakeBackend(V), new TestEngines.Settings())) {
            int[] p = {5, 9, 11, 40};
            GenerationResult expected = engine.generate(greedy(p, 40)).get(10, TimeUnit.SECONDS);
            SlowSubscriber sub = new SlowSubscriber();
            engine.stream(greedy(p, 40)).subscribe(sub);
            assertThat(sub.done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sub.completed).isTrue();
            assertThat(sub.overrun).isFalse();
            assertThat(sub.received).hasSize(40);
            assertThat(sub.text()).isEqualTo(expected.text());
        }
    }

    @Test
    void cancellingTheSubscriptionCancelsTheRequest() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        backend.stepDelayNanos(TimeUnit.MILLISECONDS.toNanos(2));
        try (InferaEngine engine = TestEngines.start(backend, new TestEngines.Settings())) {
            CountDownLatch got = new CountDownLatch(3);
            engine.stream(greedy(new int[] {4, 5}, 1000)).subscribe(new Flow.Subscriber<>() {
                Flow.Subscription s;

                @Override
                public void onSubscribe(Flow.Subscription subscription) {
                    s = subscription;
                    s.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(TokenChunk item) {
                    got.countDown();
                    if (got.getCount() == 0) {
                        s.cancel();
                    }
                }

                @Override
                public void onError(Throwable throwable) {
                }

                @Override
                public void onComplete() {
                }
            });
            assertThat(got.await(10, TimeUnit.SECONDS)).isTrue();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (engine.stats().finishedRequests() < 1 && System.nanoTime() < until) {
                Thread.sleep(2);
            }
            assertThat(engine.stats().finishedRequests()).isEqualTo(1);
            assertThat(engine.stats().generatedTokens()).isLessThan(1000);
        }
    }

    @Test
    void subscribingToAClosedEngineSignalsTheError() throws Exception {
        InferaEngine engine = TestEngines.start(new FakeBackend(V), new TestEngines.Settings());
        engine.close();
        SlowSubscriber sub = new SlowSubscriber();
        engine.stream(greedy(new int[] {4}, 3)).subscribe(sub);
        assertThat(sub.done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(sub.error).isInstanceOf(EngineClosedException.class);
    }

    @Test
    void aNonPositiveRequestInsideOnSubscribeSignalsTheErrorAndSubmitsNothing() throws Exception {
        AtomicInteger submits = new AtomicInteger();
        InferenceEngine engine = (InferenceEngine) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {InferenceEngine.class}, (proxy, method, args) -> {
                    if (method.getName().equals("submit")) {
                        submits.incrementAndGet();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        AtomicReference<Throwable> error = new AtomicReference<>();
        new TokenSubscription(engine, greedy(new int[] {4}, 3), new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(0);
            }

            @Override
            public void onNext(TokenChunk item) {
            }

            @Override
            public void onError(Throwable t) {
                error.set(t);
            }

            @Override
            public void onComplete() {
            }
        }).start();
        assertThat(error.get()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
        assertThat(submits).hasValue(0);
    }

    @Test
    void generateAllWaitsForQueueRoomAndKeepsOrder() throws Exception {
        TestEngines.Settings s = new TestEngines.Settings();
        s.maxQueued = 4;
        s.maxRunning = 2;
        try (InferaEngine engine = TestEngines.start(new FakeBackend(V), s)) {
            List<GenerationRequest> batch = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                batch.add(greedy(new int[] {3 + i % 90, 7}, 1 + i % 4));
            }
            List<CompletableFuture<GenerationResult>> results = engine.generateAll(batch);
            for (int i = 0; i < 50; i++) {
                GenerationResult r = results.get(i).get(10, TimeUnit.SECONDS);
                assertThat(r.tokenIds()).hasSize(1 + i % 4);
                assertThat(r.tokenIds().getFirst())
                        .isEqualTo(FakeBackend.nextToken(new int[] {3 + i % 90, 7}, 2, V));
            }
        }
    }
}
