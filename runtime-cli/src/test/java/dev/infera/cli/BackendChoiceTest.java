package dev.infera.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.BackendUnavailableException;
import dev.infera.core.backend.Availability;
import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.BackendProvider;
import dev.infera.core.backend.Backends;
import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.testing.SharedModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --backend}: what {@code auto} picks and says, and the one-line errors for a backend that
 * cannot run or does not exist; against fake providers, and through the real commands on this machine.
 */
class BackendChoiceTest {

    private record Fake(String id, int priority, Availability availability) implements BackendProvider {
        @Override
        public Availability probe() {
            return availability;
        }

        @Override
        public ExecutionBackend create(BackendContext context) {
            throw new UnsupportedOperationException();
        }
    }

    private static final Fake GPU_MISSING = new Fake("cuda", 100, Availability.unavailable("libcuda.so.1 not found"));
    private static final Fake GPU = new Fake("cuda", 100, Availability.ok());
    private static final Fake CPU = new Fake("cpu", 10, Availability.ok());

    private static BackendChoice resolve(String requested, List<BackendProvider> providers) {
        return BackendChoice.resolve(requested, "generate", providers);
    }

    @Test
    void autoTakesTheBestAvailableAndSaysWhy() {
        assertThat(resolve("auto", List.of(GPU_MISSING, CPU))).isEqualTo(new BackendChoice("cpu",
                "infera generate: using backend cpu (cuda unavailable: libcuda.so.1 not found)"));
        assertThat(resolve("auto", List.of(GPU, CPU)))
                .isEqualTo(new BackendChoice("cuda", "infera generate: using backend cuda"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        resolve("auto", List.of(GPU, CPU)).printNote(new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("infera generate: using backend cuda\n");
    }

    @Test
    void aNamedBackendThatCannotRunIsAnErrorWithItsReason() {
        assertThatThrownBy(() -> resolve("cuda", List.of(GPU_MISSING, CPU)))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessage("backend 'cuda' cannot run: libcuda.so.1 not found");
        assertThatThrownBy(() -> resolve("auto", List.of(GPU_MISSING)))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessage("no backend can run here: cuda unavailable: libcuda.so.1 not found");
        assertThat(resolve("cpu", List.of(GPU_MISSING, CPU))).isEqualTo(new BackendChoice("cpu", null));
        // an unknown name is the engine's to report, with the registered backends
        assertThat(resolve("tpu", List.of(GPU_MISSING, CPU))).isEqualTo(new BackendChoice("tpu", null));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        resolve("cpu", List.of(CPU)).printNote(new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(err.size()).isZero();
    }

    private static Availability realCuda() {
        return Backends.providers().stream().filter(p -> p.id().equals("cuda")).findFirst().orElseThrow().probe();
    }

    @Test
    void onThisMachineGenerateSaysWhichBackendAutoChoseAndCudaFailsWithItsReason(@TempDir Path dir) throws IOException {
        Path input = Files.writeString(dir.resolve("in.jsonl"), "{\"prompt\": \"hi\"}\n");
        Availability cuda = realCuda();
        String model = SharedModels.file("stories260K.gguf").toString();
        InspectCommandTest.Result auto = InspectCommandTest.run("generate", "--model", model, "--max-tokens", "3",
                "--temperature", "0", "--threads", "1");
        assertThat(auto.exitCode()).as(auto.err()).isZero();
        String chosen = auto.err().lines().findFirst().orElseThrow();
        if (cuda.available()) {
            assertThat(chosen).isEqualTo("infera generate: using backend cuda");
            return;
        }
        assertThat(chosen).isEqualTo("infera generate: using backend cpu (cuda unavailable: " + cuda.reason() + ")");
        for (String command : new String[] {"generate", "bench", "batch"}) {
            InspectCommandTest.Result r = switch (command) {
                case "generate" -> InspectCommandTest.run("generate", "--model", model, "--backend", "cuda");
                case "bench" -> InspectCommandTest.run("bench", "--model", model, "--backend", "cuda",
                        "--num-prompts", "1", "--input-len", "4", "--output-len", "2", "--bandwidth-gbs", "1");
                default -> InspectCommandTest.run("batch", "--model", model, "--backend", "cuda", "--input",
                        input.toString(), "--output", dir.resolve("out.jsonl").toString());
            };
            assertThat(r.exitCode()).as(command).isNotZero();
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).as(command)
                    .isEqualTo("infera " + command + ": backend 'cuda' cannot run: " + cuda.reason() + "\n");
        }
    }
}
