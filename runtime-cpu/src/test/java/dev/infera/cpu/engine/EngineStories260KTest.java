package dev.infera.cpu.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.EngineStats;
import dev.infera.api.FinishReason;
import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.InferenceEngine;
import dev.infera.api.InferenceEngineBuilder;
import dev.infera.api.RequestHandle;
import dev.infera.api.SamplingParams;
import dev.infera.api.TokenChunk;
import dev.infera.api.TokenListener;
import dev.infera.core.testing.SharedModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine on the real CPU backend with stories260K: batching, chunking, prefix caching and
 * preemption must never change the tokens a greedy request gets.
 */
class EngineStories260KTest {

    private static Path model;

    private static final String[] OPENINGS = {"Once upon a time", "Lily and Ben", "The little dog", "One day, a",
        "Tom had a big red ball", "In the park", "She was", "The sun was shining and the birds", "Mom said",
        "There was a girl named Sue. She liked to play", "A cat", "Bob wanted"};

    @BeforeAll
    static void locate() {
        model = SharedModels.file("stories260K.gguf");
    }

    static InferenceEngineBuilder builder() {
        return InferenceEngine.builder().model(model).backend("cpu").computeThreads(2).kvCacheBytes(16L << 20);
    }

    static GenerationRequest greedy(String prompt, int maxTokens) {
        return GenerationRequest.builder().prompt(prompt)
                .sampling(SamplingParams.builder().temperature(0).maxTokens(maxTokens).build()).build();
    }

    static String prompt(int i) {
        return OPENINGS[i % OPENINGS.length] + (i >= OPENINGS.length ? " and " + OPENINGS[(i * 5) % OPENINGS.length] : "");
    }

    static List<GenerationResult> solo(InferenceEngineBuilder b, List<GenerationRequest> requests) throws Exception {
        List<GenerationResult> out = new ArrayList<>();
        try (InferenceEngine engine = b.maxRunningRequests(1).build()) {
            for (GenerationRequest r : requests) {
                out.add(engine.generate(r).get(60, TimeUnit.SECONDS));
            }
        }
        return out;
    }

    /** Collects streamed chunk texts. */
    static final class Collector implements TokenListener {
        final StringBuilder text = new StringBuilder();
        int chunks;

        @Override
        public synchronized void onToken(TokenChunk chunk) {
            text.append(chunk.text());
            chunks++;
        }

        synchronized String text() {
            return text.toString();
        }
    }

    @Test
    void concurrentGreedyRequestsGiveExactlyTheirSoloTextAndStreamsMatch() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            requests.add(greedy(prompt(i), 8 + (i * 13) % 60));
        }
        List<GenerationResult> alone = solo(builder(), requests.subList(0, 64));
        try (InferenceEngine engine = builder().maxBatchTokens(96).build()) {
            List<Collector> collectors = new ArrayList<>();
            List<RequestHandle> handles = new ArrayList<>();
            for (GenerationRequest r : requests) {
                Collector c = new Collector();
                collectors.add(c);
                handles.add(engine.submit(r, c));
            }
            for (int i = 0; i < 64; i++) {
                GenerationResult r = handles.get(i).result().get(60, TimeUnit.SECONDS);
                assertThat(r.tokenIds()).as("tokens of request %d", i).isEqualTo(alone.get(i).tokenIds());
                assertThat(r.text()).as("text of request %d", i).isEqualTo(alone.get(i).text());
                assertThat(collectors.get(i).text()).isEqualTo(r.text());
                assertThat(collectors.get(i).chunks).isEqualTo(r.completionTokens());
            }
            assertThat(alone.get(0).text()).isNotBlank();
            assertThat(engine.stats().kvBlocksUsed()).isZero();
        }
    }

    @Test
    void sharedPrefixIsServedFromTheCacheWithTheSameOutput() throws Exception {
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; prefix.length() < 1400; i++) {
            prefix.append(OPENINGS[i % OPENINGS.length]).append(". ");
        }
        GenerationRequest first = greedy(prefix + "The end", 30);
        GenerationRequest second = greedy(prefix + "Then they went home", 30);
        List<GenerationResult> uncached = solo(builder().prefixCaching(false), List.of(second));
        try (InferenceEngine engine = builder().build()) {
            GenerationResult a = engine.generate(first).get(60, TimeUnit.SECONDS);
            assertThat(a.promptTokens()).isGreaterThan(270);
            GenerationResult b = engine.generate(second).get(60, TimeUnit.SECONDS);
            assertThat(b.cachedPromptTokens()).isGreaterThanOrEqualTo(240);
            assertThat(b.tokenIds()).isEqualTo(uncached.getFirst().tokenIds());
            assertThat(b.text()).isEqualTo(uncached.getFirst().text());
            EngineStats s = engine.stats();
            assertThat(s.prefixCacheHitTokens()).isEqualTo(b.cachedPromptTokens());
        }
    }

    @Test
    void tinyKvCachePreemptsAndEveryRequestStillGetsItsOutput() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            requests.add(GenerationRequest.builder().prompt(prompt(i)).sampling(SamplingParams.builder().temperature(0)
                    .maxTokens(100).ignoreEos(true).build()).build());
        }
        List<GenerationResult> alone = solo(builder(), requests);
        // 16 requests of up to ~120 tokens need ~128 blocks of 16; give them 20.
        long bytesPerBlock = 2L * 5 * 4 * 8 * 16 * Float.BYTES;
        try (InferenceEngine engine = builder().kvCacheBytes(20 * bytesPerBlock).build()) {
            List<CompletableFuture<GenerationResult>> futures = engine.generateAll(requests);
            for (int i = 0; i < 16; i++) {
                GenerationResult r = futures.get(i).get(120, TimeUnit.SECONDS);
                assertThat(r.tokenIds()).as("request %d", i).isEqualTo(alone.get(i).tokenIds());
                assertThat(r.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
            }
            EngineStats s = engine.stats();
            assertThat(s.kvBlocksTotal()).isEqualTo(20);
            assertThat(s.preemptions()).isPositive();
            assertThat(s.kvBlocksUsed()).isZero();
        }
    }
}
