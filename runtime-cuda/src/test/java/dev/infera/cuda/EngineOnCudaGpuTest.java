package dev.infera.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.InferenceEngine;
import dev.infera.api.SamplingParams;
import dev.infera.core.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The engine on the CUDA backend end to end: many concurrent greedy requests on stories260K (prefill
 * chunks and decodes sharing steps, graph replays) each produce run.c's greedy text. Skips without a GPU.
 */
class EngineOnCudaGpuTest {

    @Test
    void concurrentGreedyRequestsEachGetRunCsText() throws IOException {
        GpuRequirement.requireCuda();
        String expected = Files.readString(SharedModels.file("reference/stories260K/greedy_t0_n200.expected.txt"));
        try (InferenceEngine engine = InferenceEngine.builder().model(SharedModels.file("stories260K.gguf"))
                .backend("cuda").maxRunningRequests(32).kvCacheBytes(64L << 20).build()) {
            GenerationRequest request = GenerationRequest.builder().prompt("")
                    .sampling(SamplingParams.builder().temperature(0).maxTokens(200).build()).build();
            List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                results.add(engine.generate(request));
            }
            for (CompletableFuture<GenerationResult> r : results) {
                assertThat(r.join().text()).isEqualTo(expected);
            }
        }
    }
}
