package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.backend.BackendContext;
import dev.infera.core.model.LoadedModel;
import dev.infera.core.testing.PagedSequences;
import dev.infera.core.testing.SharedModels;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The quantized stories260K files made by llama.cpp, fed run.c's greedy tokens (teacher forcing):
 * how often our argmax equals llama.cpp's at each of the 200 positions. llama.cpp quantizes
 * activations to 8 bits for quantized weights and we keep them in F32, so close top-2 logits may
 * legitimately flip; the floors allow for that. The tokens are fed as a chunked prefill (chunks of 64,
 * every row sampled), which also exercises multi-row steps on real weights.
 */
class LlamaCppAgreementTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"F16, 0.97", "BF16, 0.97", "Q8_0, 0.95", "Q4_0, 0.85"})
    void argmaxAgreesWithLlamaCpp(String type, double floor) {
        TraceFile trace = TraceFile.read(SharedModels.file(
                "derived/stories260K-llamacpp/" + type + ".forced_runc_n200.trace.txt"));
        int[] inputs = trace.steps().stream().mapToInt(TraceFile.Step::input).toArray();
        assertThat(inputs).hasSize(200);
        try (LoadedModel model = LoadedModel.open(SharedModels.file(
                        "derived/stories260K-llamacpp/stories260K-" + type + ".gguf"));
                CpuBackend backend = CpuBackend.create(new BackendContext(model.weights(), 2))) {
            PagedSequences seqs = new PagedSequences(backend, 16, 16, 11);
            int seq = seqs.newSequence();
            int agree = 0;
            double sumTopDiff = 0;
            for (int start = 0; start < inputs.length; start += 64) {
                int[] chunk = Arrays.copyOfRange(inputs, start, Math.min(inputs.length, start + 64));
                float[][] rows = seqs.step(List.of(new PagedSequences.Feed(seq, chunk, chunk.length)));
                for (int i = 0; i < rows.length; i++) {
                    TraceFile.Step step = trace.steps().get(start + i);
                    assertThat(step.pos()).isEqualTo(start + i);
                    if (PagedSequences.argmax(rows[i]) == step.argmax()) {
                        agree++;
                    }
                    sumTopDiff += Math.abs(rows[i][step.topIds()[0]] - step.topLogits()[0]);
                }
            }
            double fraction = agree / (double) inputs.length;
            System.out.printf("llama.cpp agreement %-4s: argmax %d/%d = %.1f%%, mean |top-1 logit diff| %.4f%n",
                    type, agree, inputs.length, 100 * fraction, sumTopDiff / inputs.length);
            assertThat(fraction).as("argmax agreement with llama.cpp for " + type).isGreaterThanOrEqualTo(floor);
        }
    }
}
