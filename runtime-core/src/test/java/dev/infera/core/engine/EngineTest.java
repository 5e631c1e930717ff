package dev.infera.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.EngineClosedException;
import dev.infera.api.EngineStats;
import dev.infera.api.FinishReason;
import dev.infera.api.GenerationFailedException;
import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.QueueFullException;
import dev.infera.api.RequestHandle;
import dev.infera.api.RequestTooLargeException;
import dev.infera.api.SamplingParams;
import dev.infera.api.TokenChunk;
import dev.infera.core.testing.FakeBackend;
import dev.infera.core.tokenizer.Tokenizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class EngineTest {

    private static final int V = TestEngines.VOCAB;
    private static final Tokenizer TOK = TestEngines.asciiTokenizer();

    private static int[] prompt(int length, int seed) {
        Random r = new Random(seed);
        return IntStream.range(0, length).map(i -> 3 + r.nextInt(V - 3)).toArray();
    }

    private static GenerationRequest greedy(int[] prompt, int maxTokens) {
        return GenerationRequest.builder().promptTokens(prompt)
                .sampling(SamplingParams.builder().temperature(0).maxTokens(maxTokens).build()).build();
    }

    private static List<Integer> expectedIds(int[] prompt, int n) {
        return IntStream.of(FakeBackend.expected(prompt, n, V)).boxed().toList();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("condition not reached within 10 s");
            }
            Thread.sleep(2);
        }
    }

    private static void assertDrained(InferaEngine engine) throws InterruptedException {
        await(() -> engine.stats().kvBlocksUsed() == 0 && engine.stats().runningRequests() == 0);
        EngineStats s = engine.stats();
        assertThat(s.waitingRequests()).isZero();
    }

    @Test
    void requestsAdmittedTogetherWithOneNewPrefixComputeItOnceAndTheStatsCountTheWait() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        // Steps of 100 ms: the two requests below are queued microseconds apart, so the engine takes
        // them in the same step (while the first request's step runs).
        backend.stepDelayNanos(TimeUnit.MILLISECONDS.toNanos(100));
        try (InferaEngine engine = TestEngines.start(backend, new TestEngines.Settings())) {
            RecordingListener running = new RecordingListener();
            engine.submit(greedy(prompt(5, 40), 6), running);
            await(() -> running.numChunks() >= 1);
            int[] prefix = prompt(32, 41);
            int[] a = withSuffix(prefix, prompt(3, 42));
            int[] b = withSuffix(prefix, prompt(5, 43));
            List<CompletableFuture<GenerationResult>> both = engine.generateAll(List.of(greedy(a, 4), greedy(b, 4)));
            GenerationResult ra = both.get(0).get(10, TimeUnit.SECONDS);
            GenerationResult rb = both.get(1).get(10, TimeUnit.SECONDS);
            assertThat(ra.tokenIds()).isEqualTo(expectedIds(a, 4));
            assertThat(rb.tokenIds()).isEqualTo(expectedIds(b, 4));
            assertThat(ra.cachedPromptTokens()).isZero();
            assertThat(rb.cachedPromptTokens()).as("the shared 32 tokens, computed once").isEqualTo(32);
            assertThat(engine.stats().prefixWaits()).isEqualTo(1);
        }
    }

    private static int[] withSuffix(int[] prefix, int[] suffix) {
        int[] p = Arrays.copyOf(prefix, prefix.length + suffix.length);
        System.arraycopy(suffix, 0, p, prefix.length, suffix.length);
        return p;
    }

    @Test
    void concurrentRequestsEachGetTheirSoloOutputAndStreamsMatchResults() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        TestEngines.Settings s = new TestEngines.Settings();
        s.maxBatchTokens = 48;
        s.numBlocks = 200;
        try (InferaEngine engine = TestEngines.start(backend, s)) {
            List<int[]> prompts = new ArrayList<>();
            List<RecordingListener> listeners = new ArrayList<>();
            List<RequestHandle> handles = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int[] p = prompt(1 + (i * 7) % 60, i);
                prompts.add(p);
                RecordingListener l = new RecordingListener();
                listeners.add(l);
                handles.add(engine.submit(greedy(p, 5 + i % 17), l));
            }
            for (int i = 0; i < handles.size(); i++) {
                GenerationResult r = handles.get(i).result().get(10, TimeUnit.SECONDS);
                int n = 5 + i % 17;
                assertThat(r.tokenIds()).as("request %d", i).isEqualTo(expectedIds(prompts.get(i), n));
                assertThat(r.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
                assertThat(r.text()).isEqualTo(TOK.decode(FakeBackend.expected(prompts.get(i), n, V)));
                assertThat(r.promptTokens()).isEqualTo(prompts.get(i).length);
                assertThat(r.completionTokens()).isEqualTo(n);
                assertThat(r.requestId()).isEqualTo(handles.get(i).id());
                assertThat(r.timings().interTokenGaps()).hasSize(n - 1);
                assertThat(r.timings().endToEnd()).isGreaterThanOrEqualTo(r.timings().timeToFirstToken());
                RecordingListener l = listeners.get(i);
                assertThat(l.violations).isEmpty();
                assertThat(l.completions.get()).isEqualTo(1);
                assertThat(l.errors.get()).isZero();
                assertThat(l.streamedText()).isEqualTo(r.text());
                assertThat(l.chunks).extracting(TokenChunk::tokenId).isEqualTo(r.tokenIds());
            }
            assertThat(backend.stepTokenCounts()).allMatch(n -> n <= 48);
            assertDrained(engine);
            assertThat(engine.stats().finishedRequests()).isEqualTo(40);
            assertThat(engine.stats().generatedTokens()).isEqualTo(IntStream.range(0, 40).map(i -> 5 + i % 17).sum());
        }
        assertThat(backend.isClosed()).isTrue();
    }

    @Test
    void kvPeakCountsBlocksHeldInsideAStepEvenWhenTheRequestEndsInIt() throws Exception {
        TestEngines.Settings s = new TestEngines.Settings();
        s.maxBatchTokens = 64;
        s.numBlocks = 100;
        try (InferaEngine engine = TestEngines.start(new FakeBackend(V), s)) {
            assertThat(engine.stats().kvBlocksPeak()).isZero();
            // One step: a 40-token prompt (10 blocks of 4) prefilled and its only token sampled, then freed.
            engine.generate(greedy(prompt(40, 3), 1)).get(10, TimeUnit.SECONDS);
            assertDrained(engine);
            assertThat(engine.stats().kvBlocksUsed()).isZero();
            assertThat(engine.stats().kvBlocksPeak()).isEqualTo(10);
            // A 4-token prompt and 6 tokens: one prefill step samples the first, 5 decode-only steps the rest.
            engine.generate(greedy(prompt(4, 5), 6)).get(10, TimeUnit.SECONDS);
            assertThat(engine.stats().decodeSteps()).isEqualTo(5);
            assertThat(engine.stats().decodeStepTokens()).isEqualTo(5);
            assertThat(engine.stats().decodeStepSeconds()).isPositive();
        }
    }

    @Test
    void stopStringEndsTheTextBeforeItAndChunksStillConcatenate() throws Exception {
        try (InferaEngine engine = TestEngines.start(new FakeBackend(V), new TestEngines.Settings())) {
            int[] p = prompt(9, 3);
            String full = TOK.decode(FakeBackend.expected(p, 30, V));
            String stop = full.substring(12, 14);
            int at = full.indexOf(stop);
            RecordingListener l = new RecordingListener();
            GenerationRequest req = GenerationRequest.builder().promptTokens(p).sampling(SamplingParams.builder()
                    .temperature(0).maxTokens(30).stopStrings(List.of(stop)).build()).build();
            GenerationResult r = engine.submit(req, l).result().get(10, TimeUnit.SECONDS);
            assertThat(r.finishReason()).isEqualTo(FinishReason.STOP_STRING);
            assertThat(r.text()).isEqualTo(full.substring(0, at));
            assertThat(r.completionTokens()).isEqualTo(at + stop.length());
            assertThat(l.streamedText()).isEqualTo(r.text());
        }
    }

    @Test
    void cancelMidStreamEndsTheRequestAndFreesItsBlocks() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        backend.stepDelayNanos(TimeUnit.MILLISECONDS.toNanos(3));
        try (InferaEngine engine = TestEngines.start(backend, new TestEngines.Settings())) {
            RecordingListener l = new RecordingListener();
            RequestHandle h = engine.submit(greedy(prompt(10, 1), 1000), l);
            await(() -> l.numChunks() >= 3);
            h.cancel();
            GenerationResult r = h.result().get(10, TimeUnit.SECONDS);
            assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(r.completionTokens()).isBetween(3, 999);
            assertThat(l.streamedText()).isEqualTo(r.text());
            assertThat(l.completions.get()).isEqualTo(1);
            h.cancel();
            assertDrained(engine);
        }
    }

    @Test
    void cancellingTheFutureCancelsTheRequest() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        backend.stepDelayNanos(TimeUnit.MILLISECONDS.toNanos(3));
        try (InferaEngine engine = TestEngines.start(backend, new TestEngines.Settings())) {
            RecordingListener l = new RecordingListener();
            RequestHandle h = engine.submit(greedy(prompt(10, 1), 1000), l);
            await(() -> l.numChunks() >= 2);
            h.result().cancel(true);
            assertThat(l.ended.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(l.result.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertDrained(engine);
        }
    }

    @Test
    void deadlineEndsTheRequestWithWhatItHas() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        backend.stepDelayNanos(TimeUnit.MILLISECONDS.toNanos(2));
        try (InferaEngine engine = TestEngines.start(backend, new TestEngines.Settings())) {
            GenerationRequest req = GenerationRequest.builder().promptTokens(prompt(5, 2))
                    .sampling(SamplingParams.builder().temperature(0).maxTokens(1000).build())
                    .timeout(Duration.ofMillis(80)).build();
            RecordingListener l = new RecordingListener();
            GenerationResult r = engine.submit(req, l).result().get(10, TimeUnit.SECONDS);
            assertThat(r.finishReason()).isEqualTo(FinishReason.DEADLINE);
            assertThat(r.completionTokens()).isPositive().isLessThan(1000);
            // The deadline is an instant fixed when the request was built, so measure against it, not the
            // submit time (wall and monotonic clocks may disagree by a little, hence the millisecond).
            assertThat(java.time.Instant.now()).isAfterOrEqualTo(req.deadline().minusMillis(1));
            assertThat(l.streamedText()).isEqualTo(r.text());
            assertDrained(engine);
        }
    }

    @Test
    void requestThatCanNeverFitFailsAtOnceWithSizes() throws Exception {
        TestEngines.Settings s = new TestEngines.Settings();
        s.numBlocks = 4;
        try (InferaEngine engine = TestEngines.start(new FakeBackend(V), s)) {
            RecordingListener l = new RecordingListener();
            RequestHandle h = engine.submit(greedy(prompt(10, 1), 100), l);
            assertThatThrownBy(() -> h.result().join()).isInstanceOf(CompletionException.class)
                    .cause().isInstanceOf(RequestTooLargeException.class)
                    .hasMessageContaining("109 tokens").hasMessageContaining("holds 16 tokens");
            assertThat(l.ended.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(l.errors.get()).isEqualTo(1);
            assertThat(engine.generate(greedy(prompt(10, 1), 7)).get(10, TimeUnit.SECONDS).completionTokens())
                    .isEqualTo(7);
            assertDrained(engine);
        }
    }

    @Test
    void invalidRequestsAreRejectedWithTheFieldNamed() throws Exception {
        try (InferaEngine engine = TestEngines.start(new FakeBackend(V), new TestEngines.Settings())) {
            assertThatThrownBy(() -> engine.submit(greedy(new int[] {5, V}, 3), new RecordingListener()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("promptTokens[1] = " + V);
            assertThatThrownBy(() -> engine.submit(null, new RecordingListener())).hasMessageContaining("request");
        }
    }

    @Test
    void fullQueueRejectsWithATypedExceptionAndLosesNothing() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        backend.stepDelayNanos(TimeUnit.MILLISECONDS.toNanos(20));
        TestEngines.Settings s = new TestEngines.Settings();
        s.maxQueued = 3;
        s.maxRunning = 1;
        try (InferaEngine engine = TestEngines.start(backend, s)) {
            List<CompletableFuture<GenerationResult>> accepted = new ArrayList<>();
            int rejected = 0;
            for (int i = 0; i < 10; i++) {
                try {
                    accepted.add(engine.generate(greedy(prompt(4, i), 3)));
                } catch (QueueFullException e) {
                    assertThat(e).hasMessageContaining("3 requests are waiting");
                    rejected++;
                }
            }
            assertThat(rejected).isPositive();
            assertThat(accepted.size()).isBetween(3, 4);
            for (CompletableFuture<GenerationResult> f : accepted) {
                assertThat(f.get(10, TimeUnit.SECONDS).completionTokens()).isEqualTo(3);
            }
            assertDrained(engine);
        }
    }

    @Test
    void throwingListenerFailsOnlyItsOwnRequest() throws Exception {
        try (InferaEngine engine = TestEngines.start(new FakeBackend(V), new TestEngines.Settings())) {
            IllegalStateException boom = new IllegalStateException("listener bug");
            RecordingListener bad = new RecordingListener() {
                @Override
                void tokenHook(TokenChunk chunk) {
                    if (chunk.index() == 2) {
                        throw boom;
                    }
                }
            };
            int[] p = prompt(6, 4);
            RequestHandle h = engine.submit(greedy(p, 500), bad);
            List<CompletableFuture<GenerationResult>> others = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                others.add(engine.generate(greedy(prompt(5, 100 + i), 20)));
            }
            assertThatThrownBy(() -> h.result().get(10, TimeUnit.SECONDS)).cause()
                    .isInstanceOf(GenerationFailedException.class).hasCause(boom);
            assertThat(bad.ended.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(bad.errors.get()).isEqualTo(1);
            assertThat(bad.completions.get()).isZero();
            assertThat(bad.numChunks()).isEqualTo(3);
            for (int i = 0; i < 8; i++) {
                assertThat(others.get(i).get(10, TimeUnit.SECONDS).tokenIds())
                        .isEqualTo(expectedIds(prompt(5, 100 + i), 20));
            }
            assertDrained(engine);
        }
    }

    @Test
    void backendFailureFailsThatStepsRequestsAndTheEngineKeepsServing() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        AtomicInteger failures = new AtomicInteger();
        int poison = 7;
        backend.failWhen(b -> {
            for (int row = 0; row < b.numTokens(); row++) {
                if (b.tokenId(row) == poison && b.position(row) == 0) {
                    failures.incrementAndGet();
                    return true;
                }
            }
            return false;
        });
        try (InferaEngine engine = TestEngines.start(backend, new TestEngines.Settings())) {
            CompletableFuture<GenerationResult> bad = engine.generate(greedy(new int[] {poison, 8, 9}, 5));
            assertThatThrownBy(() -> bad.get(10, TimeUnit.SECONDS)).cause()
                    .isInstanceOf(GenerationFailedException.class)
                    .hasMessageContaining("backend failed")
                    .hasRootCauseMessage("injected backend failure");
            GenerationFailedException e = (GenerationFailedException) bad.handle((r, t) -> t).join();
            assertThat(e.partialResult().finishReason()).isEqualTo(FinishReason.ERROR);
            int[] p = prompt(8, 5);
            assertThat(engine.generate(greedy(p, 6)).get(10, TimeUnit.SECONDS).tokenIds()).isEqualTo(expectedIds(p, 6));
            assertThat(failures.get()).isEqualTo(1);
            assertDrained(engine);
        }
    }

    @Test
    void closeEndsEveryRequestInFlightExactlyOnce() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        backend.stepDelayNanos(TimeUnit.MILLISECONDS.toNanos(5));
        TestEngines.Settings s = new TestEngines.Settings();
        s.maxRunning = 4;
        InferaEngine engine = TestEngines.start(backend, s);
        List<RecordingListener> listeners = new ArrayList<>();
        List<RequestHandle> handles = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            RecordingListener l = new RecordingListener();
            listeners.add(l);
            handles.add(engine.submit(greedy(prompt(5, i), i < 2 ? 1 : 1000), l));
        }
        handles.get(0).result().get(10, TimeUnit.SECONDS);
        engine.close();
        for (int i = 0; i < 20; i++) {
            CompletableFuture<GenerationResult> f = handles.get(i).result();
            assertThat(f).isDone();
            RecordingListener l = listeners.get(i);
            assertThat(l.completions.get() + l.errors.get()).as("terminal calls of %d", i).isEqualTo(1);
            assertThat(l.violations).isEmpty();
            if (i >= 2) {
                assertThat(l.error).isInstanceOf(EngineClosedException.class);
                assertThat(f).isCompletedExceptionally();
            }
        }
        assertThat(backend.isClosed()).isTrue();
        assertThat(engine.stats().kvBlocksUsed()).isZero();
        assertThatThrownBy(() -> engine.generate(greedy(prompt(3, 1), 2))).isInstanceOf(EngineClosedException.class);
        engine.close();
    }

    @Test
    void anErrorThatKillsTheEngineThreadFailsEverythingAndClosesTheEngine() throws Exception {
        FakeBackend backend = new FakeBackend(V);
        backend.failWhen(b -> {
            throw new AssertionError("fatal backend bug");
        });
        InferaEngine engine = TestEngines.start(backend, new TestEngines.Settings());
        RecordingListener l = new RecordingListener();
        RequestHandle h = engine.submit(greedy(prompt(4, 1), 3), l);
        assertThatThrownBy(() -> h.result().get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(EngineClosedException.class).hasRootCauseMessage("fatal backend bug");
        assertThat(l.ended.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(l.errors.get()).isEqualTo(1);
        await(backend::isClosed);
        assertThatThrownBy(() -> engine.generate(greedy(prompt(3, 1), 2))).isInstanceOf(EngineClosedException.class);
        engine.close();
    }

    @Test
    void idsBeyondTheTokenizersVocabularyCarryNoText() throws Exception {
        int modelVocab = V + 40;
        try (InferaEngine engine = TestEngines.start(new FakeBackend(modelVocab), new TestEngines.Settings(), modelVocab)) {
            int[] p = prompt(6, 9);
            int[] ids = FakeBackend.expected(p, 60, modelVocab);
            GenerationResult r = engine.generate(greedy(p, 60)).get(10, TimeUnit.SECONDS);
            assertThat(r.tokenIds()).containsExactly(IntStream.of(ids).boxed().toArray(Integer[]::new));
            assertThat(IntStream.of(ids).anyMatch(id -> id >= V)).isTrue();
            assertThat(r.text()).isEqualTo(TOK.decode(IntStream.of(ids).filter(id -> id < V).toArray()));
        }
    }

    @Test
    void idleEngineDoesNotSpin() throws Exception {
        try (InferaEngine engine = TestEngines.start(new FakeBackend(V), new TestEngines.Settings())) {
            engine.generate(greedy(prompt(5, 1), 3)).get(10, TimeUnit.SECONDS);
            Thread engineThread = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("infera-engine")).findFirst().orElseThrow();
            await(() -> engineThread.getState() == Thread.State.WAITING);
            var mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long before = mx.getThreadCpuTime(engineThread.threadId());
            Thread.sleep(200);
            long used = mx.getThreadCpuTime(engineThread.threadId()) - before;
            assertThat(used).isLessThan(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }
}
