package dev.infera.cuda;

import dev.infera.core.backend.BackendContext;
import dev.infera.core.gguf.GgmlType;
import dev.infera.core.model.LoadedModel;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelWeights;
import dev.infera.core.testing.PagedSequences;
import dev.infera.core.testing.SyntheticModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One prefill step and one decode step (first captured into a graph, then replayed) on the CUDA
 * backend, for {@code compute-sanitizer} to watch: stories260K (F32, small head dimension) and a
 * synthetic Qwen2-shaped Q8_0 model (biases, NEOX RoPE, BF16 KV cache, 7 query heads per KV head).
 * Usage: {@code SanitizerSteps PATH_TO_stories260K.gguf}.
 */
public final class SanitizerSteps {

    private SanitizerSteps() {
    }

    public static void main(String[] args) {
        try (LoadedModel model = LoadedModel.open(Path.of(args[0]))) {
            run(model.weights());
        }
        ModelConfig qwen = SyntheticModel.qwen25Like(2, 1216, 384);
        ModelWeights w = TestModels.weights(qwen, 3, true, GgmlType.Q8_0);
        run(w);
        System.out.println("SanitizerSteps: prefill and decode steps done");
    }

    private static void run(ModelWeights weights) {
        try (CudaBackend backend = CudaBackend.create(new BackendContext(weights, 1))) {
            PagedSequences s = new PagedSequences(backend, 32, 16, 1);
            List<PagedSequences.Feed> prefill = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int[] prompt = new int[9 + 7 * i];
                for (int j = 0; j < prompt.length; j++) {
                    prompt[j] = 1 + (j * 37 + i) % 300;
                }
                prefill.add(new PagedSequences.Feed(s.newSequence(), prompt, true));
            }
            float[][] logits = s.step(prefill);
            for (int round = 0; round < 2; round++) {
                List<PagedSequences.Feed> decode = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    decode.add(new PagedSequences.Feed(i, new int[] {PagedSequences.argmax(logits[i])}, true));
                }
                logits = s.step(decode);
            }
        }
    }
}
