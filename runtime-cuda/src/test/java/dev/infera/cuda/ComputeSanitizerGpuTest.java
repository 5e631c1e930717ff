package dev.infera.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.testing.SharedModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code compute-sanitizer} (memcheck for out-of-bounds and misaligned accesses, racecheck for
 * shared-memory races) over one prefill and one decode step of {@link SanitizerSteps}, in a child JVM.
 * Skips without a GPU, or when compute-sanitizer is not installed (it ships with the CUDA toolkit).
 */
class ComputeSanitizerGpuTest {

    private static Path sanitizer() {
        for (String dir : new String[] {System.getenv("CUDA_HOME"), "/usr/local/cuda"}) {
            if (dir != null && Files.isExecutable(Path.of(dir, "bin", "compute-sanitizer"))) {
                return Path.of(dir, "bin", "compute-sanitizer");
            }
        }
        String path = System.getenv("PATH");
        for (String dir : path == null ? new String[0] : path.split(":")) {
            Path p = Path.of(dir, "compute-sanitizer");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    @ParameterizedTest
    @ValueSource(strings = {"memcheck", "racecheck"})
    void prefillAndDecodeStepsAreClean(String tool) throws IOException, InterruptedException {
        GpuRequirement.requireCuda();
        Path sanitizer = sanitizer();
        Assumptions.assumeTrue(sanitizer != null, "compute-sanitizer not found: test skipped");
        Path model = SharedModels.file("stories260K.gguf");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(sanitizer.toString(), "--tool", tool, "--error-exitcode", "86",
                "--target-processes", "all", java.toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                SanitizerSteps.class.getName(), model.toString()));
        if (tool.equals("memcheck")) {
            command.addAll(1, List.of("--leak-check", "no"));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (var in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
        System.out.println(output.lines().filter(l -> l.contains("ERROR SUMMARY") || l.contains("RACECHECK SUMMARY")
                || l.contains("SanitizerSteps")).reduce("", (x, y) -> x + y + "\n"));
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("SanitizerSteps: prefill and decode steps done");
        assertThat(output).containsAnyOf("ERROR SUMMARY: 0 errors", "RACECHECK SUMMARY: 0 hazards");
    }
}
