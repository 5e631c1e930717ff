package dev.infera.cli;

import static dev.infera.cli.InspectCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.cli.InspectCommandTest.Result;
import dev.infera.core.gguf.GgmlType;
import dev.infera.core.gguf.GgufFile;
import dev.infera.core.testing.SharedModels;
import dev.infera.core.tokenizer.Tokenizer;
import dev.infera.core.tokenizer.TokenizerGguf;
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
    void embedsABuiltInTokenizerOfThePresetSize(@TempDir Path dir) {
        Path out = dir.resolve("b.gguf");
        Result r = run("synth", "--preset", "tiny-qwen2", "--dtype", "f16", "--out", out.toString(), "--layers", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.metadata().getInt("qwen2.block_count")).isEqualTo(1);
            assertThat(f.metadata().getString("tokenizer.ggml.model")).isEqualTo("gpt2");
            assertThat(f.metadata().getStringArray("tokenizer.ggml.tokens")).hasSize(512);
            assertThat(f.tensor("token_embd.weight").shape()).containsExactly(64, 512);
            Tokenizer t = TokenizerGguf.load(f.metadata());
            int[] ids = t.encode("hello world", false, false);
            assertThat(t.decode(ids)).isEqualTo("hello world");
        }
    }

    @Test
    void vocabOverrideSizesTheEmbeddingAndTheBuiltInTokenizer(@TempDir Path dir) {
        Path out = dir.resolve("v.gguf");
        Result r = run("synth", "--preset", "tiny", "--dtype", "q8_0", "--out", out.toString(), "--layers", "1",
                "--vocab", "300");
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.metadata().getStringArray("tokenizer.ggml.tokens")).hasSize(300);
            assertThat(f.tensor("token_embd.weight").shape()[1]).isEqualTo(300);
        }
        Result tooSmall = run("synth", "--preset", "tiny", "--dtype", "q8_0", "--out", out.toString(), "--vocab", "12");
        assertThat(tooSmall.exitCode()).isNotZero();
        assertThat(tooSmall.err()).contains("--vocab must be at least");
    }

    /** Qwen2's 151,646 tokens (151,643 + 3 special) are padded to the 151,936 embedding rows of Qwen2.5-0.5B, as converters do. */
    @Test
    void padsARealTokenizerToThePresetVocabulary(@TempDir Path dir) {
        Path out = dir.resolve("q.gguf");
        Path qwen = SharedModels.file("tokenizers/qwen2");
        Result r = run("synth", "--preset", "qwen2.5-0.5b", "--dtype", "q4_0", "--out", out.toString(), "--layers", "1",
                "--tokenizer", qwen.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (GgufFile f = GgufFile.open(out)) {
            String[] tokens = f.metadata().getStringArray("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(151936);
            assertThat(tokens[151644]).isEqualTo("<|im_start|>");
            assertThat(tokens[151935]).isEqualTo("[PAD151935]");
            assertThat(f.metadata().getArray("tokenizer.ggml.token_type").toInts()[151935]).isEqualTo(5);
            assertThat(tokens[151643]).isEqualTo("<|endoftext|>");
            assertThat(tokens[151646]).isEqualTo("[PAD151646]");
            assertThat(f.metadata().getStringArray("tokenizer.ggml.merges")).hasSize(151387);
            assertThat(f.tensor("token_embd.weight").shape()).containsExactly(896, 151936);
        }
    }

    @Test
    void copiesATokenizerJson(@TempDir Path dir) {
        Path out = dir.resolve("j.gguf");
        Path json = SharedModels.file("tokenizers/smollm2/SmolLM2-135M-Instruct-Tokenizer.json");
        Result r = run("synth", "--preset", "tiny", "--dtype", "q8_0", "--out", out.toString(), "--tokenizer",
                json.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (GgufFile f = GgufFile.open(out)) {
            // The tokenizer's 49,152 tokens exceed the tiny preset's 512, so the embedding grows to fit.
            assertThat(f.metadata().getInt("llama.vocab_size")).isEqualTo(49152);
            assertThat(f.tensor("token_embd.weight").shape()).containsExactly(64, 49152);
            assertThat(f.tensor("output.weight").shape()).containsExactly(64, 49152);
            String[] tokens = f.metadata().getStringArray("tokenizer.ggml.tokens");
            assertThat(tokens[0]).isEqualTo("<|endoftext|>");
            assertThat(tokens[1]).isEqualTo("<|im_start|>");
            assertThat(f.metadata().getStringArray("tokenizer.ggml.merges")).hasSize(48900);
            // The copy is a working tokenizer: the same ids as llama.cpp's SmolLM test for "Hello world".
            Tokenizer t = TokenizerGguf.load(f.metadata());
            assertThat(t.encode("Hello world", false, false)).containsExactly(19556, 905);
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
