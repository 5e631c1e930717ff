package dev.infera.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.EngineClosedException;
import dev.infera.api.EngineStats;
import dev.infera.api.FinishReason;
import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.RequestHandle;
import dev.infera.api.SamplingParams;
import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepResult;
import dev.infera.core.testing.FakeBackend;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Lifecycle and contract corners of the engine: failed starts, odd deadlines, cancels and closes from odd places. */
class EngineEdgeCasesTest {

    private static final int V = TestEngines.VOCAB;

    private static int[] prompt(int length, int seed) {
        Random r = new Random(seed);
        return IntStream.range(0, length).map(i -> 3 + r.nextInt(V - 3)).toArray();
    }

    private static GenerationRequest greedy(int[] prompt, int maxTokens) {
        return GenerationRequest.builder().promptTokens(prompt)
                .sampling(SamplingParams.builder().temperature(0).maxTokens(maxTokens).build()).build();
    }

    @Test
    void generateAllFailsOnlyTheSlotOfAnInvalidRequest() throws Exception {
        try (InferaEngine engine = TestEngines.start(new FakeBackend(V), new TestEngines.Settings())) {
            int[] ok = prompt(5, 1);
            List<CompletableFuture<GenerationResult>> futures = engine.generateAll(List.of(greedy(ok, 4),
                    greedy(new int[] {5, V + 7}, 4), greedy(ok, 6)));
            assertThat(futures).hasSize(3);
            assertThat(futures.get(0).get(10, TimeUnit.SECONDS).completionTokens()).isEqualTo(4);
            assertThatThrownBy(() -> futures.get(1).join()).cause().isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("promptTokens[1]");
            assertThat(futures.get(2).get(10, TimeUnit.SECONDS).completionTokens()).isEqualTo(6);
        }
    }

    @Test
    void deadlinesTooFarForTheNanosecondClockMeanNone() throws Exception {
        assertThat(InferaEngine.deadlineNanos(Instant.MAX, Instant.now(), 5)).isEqualTo(Long.MAX_VALUE);
        assertThat(InferaEngine.deadlineNanos(Instant.now().plus(Duration.ofDays(400 * 365L)), Instant.now(), 5))
                .isEqualTo(Long.MAX_VALUE);
        Instant now = Instant.now();
        assertThat(InferaEngine.deadlineNanos(now.plusMillis(3), now, 100)).isEqualTo(100 + 3_000_000);
        assertThat(InferaEngine.deadlineNanos(now.minusSeconds(1), now, 100)).isEqualTo(100);
        try (InferaEngine engine = TestEngines.start(new FakeBackend(V), new TestEngines.Settings())) {
            // Greedy without EOS, so the only way to end early would be a (wrongly) expired deadline.
            SamplingParams threeTokens = SamplingParams.builder().temperature(0).maxTokens(3).ignoreEos(true).build();
            for (GenerationRequest r : List.of(
                    GenerationRequest.builder().promptTokens(prompt(4, 2)).sampling(threeTokens).deadline(Instant.MAX).build(),
                    GenerationRequest.builder().promptTokens(prompt(4, 2)).sampling(threeTokens)
                            .timeout(Duration.ofSeconds(Long.MAX_VALUE)).build())) {
                GenerationResult result = engine.generate(r).get(10, TimeUnit.SECONDS);
                assertThat(result.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
            }
        }
    }

    @Test
    void anErrorDuringStartClosesTheBackendAndTheModelResources() {
        FakeBackend fake = new FakeBackend(V);
        ExecutionBackend failing = new ExecutionBackend() {
            @Override
            public long kvCacheBytesPerBlock(int blockSize) {
                return fake.kvCacheBytesPerBlock(blockSize);
            }

            @Override
            public KvCacheLayout allocateKvCache(int numBlocks, int blockSize) {
                throw new OutOfMemoryError("no room for the KV cache");
            }

            @Override
            public StepResult execute(StepBatch batch) {
                return fake.execute(batch);
            }

            @Override
            public void close() {
                fake.close();
            }
        };
        AtomicBoolean resourcesClosed = new AtomicBoolean();
        EngineComponents parts = new EngineComponents(failing, TestEngines.asciiTokenizer(), V, 4096, new int[] {2},
                () -> resourcesClosed.set(true), "failing backend");
        assertThatThrownBy(() -> new InferaEngine(new TestEngines.Settings().config(), parts, 16))
                .isInstanceOf(OutOfMemoryError.class);
        assertThat(fake.isClosed()).isTrue();
        assertThat(resourcesClosed).isTrue();
    }

    @Test
    void closeAfterTheEngineThreadDiedStillWaitsForListeners() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        backend.failWhen(b -> {
            throw new AssertionError("fatal backend bug");
        });
        InferaEngine engine = TestEngines.start(backend, new TestEngines.Settings());
        CountDownLatch inOnError = new CountDownLatch(1);
        AtomicBoolean onErrorFinished = new AtomicBoolean();
        RecordingListener slow = new RecordingListener() {
            @Override
            public void onError(Throwable t) {
                inOnError.countDown();
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                onErrorFinished.set(true);
                super.onError(t);
            }
        };
        engine.submit(greedy(prompt(4, 1), 3), slow);
        assertThat(inOnError.await(10, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> engine.generate(greedy(prompt(3, 1), 2))).isInstanceOf(EngineClosedException.class);
        engine.close();
        assertThat(onErrorFinished).as("close() returned before the listener's last call finished").isTrue();
    }

    @Test
    void closeFromInsideAListenerDoesNotWaitForThatListener() throws Exception {
        InferaEngine engine = TestEngines.start(new FakeBackend(V), new TestEngines.Settings());
        AtomicLong closeNanos = new AtomicLong(-1);
        RecordingListener closer = new RecordingListener() {
            @Override
            public void onComplete(GenerationResult r) {
                long start = System.nanoTime();
                engine.close();
                closeNanos.set(System.nanoTime() - start);
                super.onComplete(r);
            }
        };
        RequestHandle h = engine.submit(greedy(prompt(4, 3), 3), closer);
        assertThat(h.result().get(60, TimeUnit.SECONDS).completionTokens()).isEqualTo(3);
        assertThat(closeNanos.get()).isBetween(0L, TimeUnit.SECONDS.toNanos(5));
        assertThatThrownBy(() -> engine.generate(greedy(prompt(3, 1), 2))).isInstanceOf(EngineClosedException.class);
    }

    @Test
    void cancellingTheFutureCompletesItOnlyAfterTheListenersLastCall() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        backend.stepDelayNanos(TimeUnit.MILLISECONDS.toNanos(2));
        try (InferaEngine engine = TestEngines.start(backend, new TestEngines.Settings())) {
            CountDownLatch release = new CountDownLatch(1);
            RecordingListener blocking = new RecordingListener() {
                @Override
                public void onComplete(GenerationResult r) {
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    super.onComplete(r);
                }
            };
            RequestHandle h = engine.submit(greedy(prompt(6, 4), 1000), blocking);
            while (blocking.numChunks() < 2) {
                Thread.sleep(1);
            }
            CompletableFuture<GenerationResult> f = h.result();
            assertThat(f.cancel(true)).isTrue();
            assertThat(f.cancel(true)).isTrue();
            assertThat(f.isDone()).as("done before the listener's last call").isFalse();
            release.countDown();
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
            assertThat(f.isCancelled()).isTrue();
            assertThat(blocking.result.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(blocking.violations).isEmpty();
            RequestHandle done = engine.submit(greedy(prompt(6, 4), 2), new RecordingListener());
            done.result().get(10, TimeUnit.SECONDS);
            assertThat(done.result().cancel(true)).isFalse();
            assertThat(done.result().isCancelled()).isFalse();
        }
    }

    @Test
    void promptTokenCountIncludesRecomputedGeneratedTokens() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        TestEngines.Settings s = new TestEngines.Settings();
        s.prefixCaching = false;
        s.numBlocks = 12;
        s.maxBatchTokens = 16;
        try (InferaEngine engine = TestEngines.start(backend, s)) {
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                futures.add(engine.generate(greedy(prompt(8, 10 + i), 20)));
            }
            for (CompletableFuture<GenerationResult> f : futures) {
                assertThat(f.get(10, TimeUnit.SECONDS).completionTokens()).isEqualTo(20);
            }
            EngineStats stats = engine.stats();
            assertThat(stats.preemptions()).isPositive();
            long computed = backend.stepTokenCounts().stream().mapToLong(Integer::longValue).sum();
            // Every computed token is prefill or a decode input; each request feeds back all its
            // generated tokens but the last.
            assertThat(stats.promptTokens() + stats.generatedTokens() - futures.size()).isEqualTo(computed);
        }
    }
}
