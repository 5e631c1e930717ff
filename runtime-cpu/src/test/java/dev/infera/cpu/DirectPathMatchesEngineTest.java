package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.InferenceEngine;
import dev.infera.api.SamplingParams;
import dev.infera.api.TokenLogprobs;
import dev.infera.core.generation.TextGenerator;
import dev.infera.core.testing.SharedModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The direct single-request path ({@link TextGenerator}, behind {@code infera generate}) and the
 * batching engine give the same text, token ids and finish reason for the same requests, so the
 * command can move onto the engine without changing its output.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DirectPathMatchesEngineTest {

    @Test
    void sameResultsForGreedySampledAndStoppedRequests() throws Exception {
        Path model = SharedModels.file("stories260K.gguf");
        List<GenerationRequest> requests = List.of(
                request("", SamplingParams.builder().temperature(0).maxTokens(120).build()),
                request("Lily saw a cat", SamplingParams.builder().temperature(0.9).topK(40).topP(0.9).seed(5)
                        .maxTokens(80).build()),
                request("Tom had a red ball", SamplingParams.builder().temperature(1.0).minP(0.05).seed(11)
                        .repetitionPenalty(1.2).frequencyPenalty(0.3).maxTokens(80).logprobs(3).build()),
                request("", SamplingParams.builder().temperature(0).maxTokens(200).stopStrings(List.of("park.")).build()),
                request("", SamplingParams.builder().temperature(0).maxTokens(200).stopStrings(List.of("Lily's")).build()),
                request("The sun", SamplingParams.builder().temperature(30).seed(3).maxTokens(3000).build()));
        List<GenerationResult> direct = new ArrayList<>();
        try (TextGenerator generator = TextGenerator.open(model, "cpu", 2)) {
            for (GenerationRequest r : requests) {
                direct.add(generator.generate(r.prompt(), r.sampling(), piece -> { }));
            }
        }
        try (InferenceEngine engine = InferenceEngine.builder().model(model).backend("cpu").computeThreads(2)
                .kvCacheBytes(64L << 20).build()) {
            List<CompletableFuture<GenerationResult>> viaEngine = engine.generateAll(requests);
            for (int i = 0; i < requests.size(); i++) {
                GenerationResult d = direct.get(i);
                GenerationResult e = viaEngine.get(i).get(120, TimeUnit.SECONDS);
                assertThat(d.text()).as("text of request %d", i).isEqualTo(e.text());
                assertThat(d.tokenIds()).as("ids of request %d", i).isEqualTo(e.tokenIds());
                assertThat(d.finishReason()).as("finish of request %d", i).isEqualTo(e.finishReason());
                assertThat(d.promptTokens()).isEqualTo(e.promptTokens());
                assertThat(d.logprobs()).hasSameSizeAs(e.logprobs());
                // The engine batches the requests, so logits may differ from the solo path in the last bits.
                for (int t = 0; t < d.logprobs().size(); t++) {
                    TokenLogprobs a = d.logprobs().get(t);
                    TokenLogprobs b = e.logprobs().get(t);
                    assertThat(a.tokenId()).as("logprob token %d of request %d", t, i).isEqualTo(b.tokenId());
                    assertThat(a.logprob()).as("logprob %d of request %d", t, i)
                            .isCloseTo(b.logprob(), org.assertj.core.data.Offset.offset(1e-3f));
                    assertThat(a.top()).extracting(TokenLogprobs.Candidate::tokenId)
                            .isEqualTo(b.top().stream().map(TokenLogprobs.Candidate::tokenId).toList());
                }
            }
        }
        assertThat(direct).extracting(GenerationResult::finishReason).map(Enum::name)
                .containsExactly("MAX_TOKENS", "MAX_TOKENS", "MAX_TOKENS", "STOP_STRING", "STOP_STRING", "STOP_TOKEN");
    }

    private static GenerationRequest request(String prompt, SamplingParams params) {
        return GenerationRequest.builder().prompt(prompt).sampling(params).build();
    }
}
