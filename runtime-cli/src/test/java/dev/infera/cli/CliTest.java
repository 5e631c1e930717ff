package dev.infera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.api.BackendUnavailableException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the dispatcher decides on help and turns each kind of failure into one line and an exit code. */
class CliTest {

    @TempDir
    Path dir;

    @Test
    void helpIsAnOptionNameNotAnOptionValue() throws IOException {
        InspectCommandTest.Result asValue = InspectCommandTest.run("inspect", "--model", "--help");
        assertThat(asValue.out()).doesNotContain("Usage:");
        assertThat(asValue.err()).isEqualTo("infera inspect: file not found for --model: --help\n");
        assertThat(asValue.exitCode()).isEqualTo(2);

        Files.writeString(dir.resolve("vocab.json"), "{\"-\": 0, \"h\": 1, \"-h\": 2}");
        Files.writeString(dir.resolve("merges.txt"), "- h\n");
        InspectCommandTest.Result text = InspectCommandTest.run("tokenize", "--tokenizer", dir.toString(), "--pre", "gpt-2",
                "--text", "-h");
        assertThat(text.err()).isEmpty();
        assertThat(text.out()).isEqualTo("0 1\n");

        for (List<String> args : List.of(List.of("inspect", "--help"), List.of("inspect", "-h"),
                List.of("inspect", "--model", "x.gguf", "--help"), List.of("inspect", "--bogus", "--help"),
                List.of("inspect", "--all", "-h"))) {
            InspectCommandTest.Result help = InspectCommandTest.run(args.toArray(String[]::new));
            assertThat(help.out()).as("%s", args).startsWith("Usage: infera inspect");
            assertThat(help.exitCode()).as("%s", args).isZero();
        }
    }

    @Test
    void anUnavailableBackendIsOneCleanLine() {
        Result r = runThrowing(new BackendUnavailableException("backend 'cuda' cannot run: libcuda.so.1 not found"));
        assertThat(r.err()).isEqualTo("infera fail: backend 'cuda' cannot run: libcuda.so.1 not found\n");
        assertThat(r.exitCode()).isEqualTo(1);
    }

    @Test
    void aRejectedArgumentIsOneCleanLineWithTheUsageExitCode() {
        Result r = runThrowing(new IllegalArgumentException("temperature must be >= 0, got -1.0"));
        assertThat(r.err()).isEqualTo("infera fail: temperature must be >= 0, got -1.0\n");
        assertThat(r.exitCode()).isEqualTo(2);
    }

    @Test
    void otherRuntimeExceptionsAreReportedAsBugs() {
        Result r = runThrowing(new IllegalStateException("invariant broken"));
        assertThat(r.err()).isEqualTo("infera fail: unexpected error: java.lang.IllegalStateException: invariant broken\n");
        assertThat(r.exitCode()).isEqualTo(1);
    }

    private record Result(int exitCode, String err) {
    }

    private static Result runThrowing(RuntimeException failure) {
        Command failing = new Command() {
            @Override
            public String name() {
                return "fail";
            }

            @Override
            public String summary() {
                return "always fails";
            }

            @Override
            public String usage() {
                return "infera fail";
            }

            @Override
            public List<Option> options() {
                return List.of();
            }

            @Override
            public int run(Options options, PrintStream out, PrintStream err) {
                throw failure;
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                List.of(failing)).run(new String[] {"fail"});
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        return new Result(rc, err.toString(StandardCharsets.UTF_8));
    }
}
