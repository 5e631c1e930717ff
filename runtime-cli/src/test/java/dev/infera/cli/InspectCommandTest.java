package dev.infera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.testing.SharedModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {

    record Result(int exitCode, String out, String err) {
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(args);
        return new Result(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void printsHeaderMetadataAndTensorTable() {
        Path model = SharedModels.file("derived/stories260K-llamacpp/stories260K-Q8_0.gguf");
        Result r = run("inspect", "--model", model.toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out())
                .contains("GGUF version 3, alignment 32")
                .containsPattern("general\\.architecture\\s+STRING\\s+\"llama\"")
                .containsPattern("llama\\.block_count\\s+UINT32\\s+5")
                .containsPattern("tokenizer\\.ggml\\.tokens\\s+STRING\\[512\\]\\s+\\[\"<unk>\", \"<s>\", \"</s>\", .*\\.\\.\\. \\(504 more\\)\\]")
                .containsPattern("blk\\.0\\.attn_q\\.weight\\s+Q8_0\\s+\\[64, 64\\]\\s+4,352")
                .containsPattern("token_embd\\.weight\\s+\\S+\\s+\\[64, 512\\]")
                .contains("total: 48 tensors, ");
        // Abbreviated: the 512-entry vocabulary is not printed in full.
        assertThat(r.out()).doesNotContain("\"<0x10>\"");
        Result full = run("inspect", "--model", model.toString(), "--all");
        assertThat(full.out()).contains("\"<0x10>\"");
    }

    @Test
    void tableTotalsMatchTheFile() {
        Result r = run("inspect", "--model", SharedModels.file("stories260K.gguf").toString());
        assertThat(r.exitCode()).isZero();
        // All 48 tensors are F32: 4 bytes per parameter.
        assertThat(r.out()).contains("total: 48 tensors, 292,800 parameters, 1,171,200 bytes of tensor data")
                .contains("by type: F32 48 tensors (1,171,200 bytes)");
        long rows = Arrays.stream(r.out().split("\n")).filter(l -> l.startsWith("  blk.")).count();
        assertThat(rows).isEqualTo(45);
    }

    @Test
    void helpAndErrorsAreOneLineWithNonZeroExit(@TempDir Path dir) throws Exception {
        Result help = run("inspect", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("Usage: infera inspect --model FILE").contains("--model FILE");

        Result missing = run("inspect", "--model", dir.resolve("nope.gguf").toString());
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.err().lines()).singleElement().asString().contains("file not found").contains("nope.gguf");

        Path corrupt = dir.resolve("cut.gguf");
        byte[] all = Files.readAllBytes(SharedModels.file("stories260K.gguf"));
        Files.write(corrupt, Arrays.copyOf(all, 5000));
        Result cut = run("inspect", "--model", corrupt.toString());
        assertThat(cut.exitCode()).isNotZero();
        assertThat(cut.err().lines()).singleElement().asString()
                .startsWith("infera inspect: ").contains("cut.gguf").contains("truncated").contains("byte offset");

        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "not a model");
        Result notGguf = run("inspect", "--model", text.toString());
        assertThat(notGguf.exitCode()).isNotZero();
        assertThat(notGguf.err()).contains("not a GGUF file");

        Result noModel = run("inspect");
        assertThat(noModel.exitCode()).isNotZero();
        assertThat(noModel.err()).contains("missing required option --model");

        Result bad = run("inspect", "--modle", "x");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("unknown option '--modle'");
    }
}
