package dev.infera.cli;

import static dev.infera.cli.InspectCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.cli.InspectCommandTest.Result;
import dev.infera.core.gguf.GgmlType;
import dev.infera.core.gguf.GgufFile;
import dev.infera.core.testing.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthCommandTest {

    @Test
    void writesAModelWithACopiedTokenizer(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("m.gguf");
        Path vocab = SharedModels.file("stories260K.gguf");
        Result r = run("synth", "--preset", "tiny", "--dtype", "q8_0", "--out", out.toString(), "--seed", "5",
                "--tokenizer", vocab.toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("wrote " + out).contains("tiny").contains("Q8_0");
        try (GgufFile f = GgufFile.open(out); GgufFile src = GgufFile.open(vocab)) {
            assertThat(f.metadata().getStringArray("tokenizer.ggml.tokens"))
                    .containsExactly(src.metadata().getStringArray("tokenizer.ggml.tokens"));
            assertThat(f.metadata().getArray("tokenizer.ggml.scores"))
                    .isEqualTo(src.metadata().getArray("tokenizer.ggml.scores"));
            assertThat(f.metadata().getString("tokenizer.ggml.model")).isEqualTo("llama");
            assertThat(f.tensor("blk.0.attn_q.weight").type()).isEqualTo(GgmlType.Q8_0);
        }
        byte[] first = Files.readAllBytes(out);
        assertThat(run("synth", "--preset", "tiny", "--dtype", "q8_0", "--out", out.toString(), "--seed", "5",
                "--tokenizer", vocab.toString(), "--threads", "1").exitCode()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(first);
    }

    @Test
    void padsASmallerTokenizerToThePresetVocabulary(@TempDir Path dir) {
        Path out = dir.resolve("p.gguf");
        Result r = run("synth", "--preset", "tiny-qwen2", "--dtype", "f16", "--out", out.toString(), "--layers", "1",
                "--tokenizer", SharedModels.file("stories260K.gguf").toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.metadata().getInt("qwen2.block_count")).isEqualTo(1);
            assertThat(f.tensor("token_embd.weight").shape()).containsExactly(64, 512);
        }
    }

    @Test
    void badOptionsGiveOneLineErrors(@TempDir Path dir) {
        String out = dir.resolve("x.gguf").toString();
        String tok = SharedModels.file("stories260K.gguf").toString();
        assertError(run("synth", "--preset", "gpt-9", "--dtype", "f16", "--out", out, "--tokenizer", tok),
                "unknown preset 'gpt-9'");
        assertError(run("synth", "--preset", "tiny", "--dtype", "q3_x", "--out", out, "--tokenizer", tok),
                "unsupported --dtype 'q3_x'");
        assertError(run("synth", "--preset", "tiny", "--dtype", "f16", "--out", out, "--tokenizer",
                dir.resolve("none.gguf").toString()), "file not found");
        assertError(run("synth", "--preset", "tiny", "--dtype", "f16", "--out", dir.resolve("no/dir/x.gguf").toString(),
                "--tokenizer", tok), "does not exist");
        assertError(run("synth", "--preset", "tiny", "--dtype", "f16", "--tokenizer", tok), "--out");
        assertError(run("synth", "--preset", "tiny", "--dtype", "f16", "--out", out, "--seed", "abc", "--tokenizer", tok),
                "--seed");
        assertThat(Files.exists(Path.of(out))).isFalse();
        Result help = run("synth", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--preset NAME").contains("smollm2-135m").contains("--dtype TYPE");
    }

    private static void assertError(Result r, String text) {
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.err().lines()).singleElement().asString().startsWith("infera synth: ").contains(text);
    }
}
