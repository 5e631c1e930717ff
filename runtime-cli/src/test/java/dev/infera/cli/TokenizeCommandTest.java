package dev.infera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.json.Json;
import dev.infera.core.testing.SharedModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenizeCommandTest {

    private static final String SEPARATOR = "\\n__ggml_vocab_test__\\n";

    static InspectCommandTest.Result run(String... args) {
        return InspectCommandTest.run(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "gpt-2", "bert-bge"})
    void separatorModeReproducesTheReferenceOutFile(String name) throws Exception {
        Path gguf = SharedModels.file("vocab/ggml-vocab-" + name + ".gguf");
        InspectCommandTest.Result r = run("tokenize", "--model", gguf.toString(), "--file", gguf + ".inp", "--separator", SEPARATOR);
        assertThat(r.err()).isEmpty();
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo(Files.readString(Path.of(gguf + ".out"), StandardCharsets.UTF_8));
    }

    @Test
    void tokenizerFilesWithPreOverride() throws Exception {
        Path inp = SharedModels.file("vocab/ggml-vocab-qwen2.gguf.inp");
        InspectCommandTest.Result r = run("tokenize", "--tokenizer", SharedModels.file("tokenizers/qwen2").toString(),
                "--pre", "qwen2", "--file", inp.toString(), "--separator", SEPARATOR);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(Files.readString(Path.of(inp.toString().replace(".inp", ".out")), StandardCharsets.UTF_8));
    }

    @Test
    void plainAndJsonOutput() {
        String model = SharedModels.file("vocab/ggml-vocab-llama-spm.gguf").toString();
        InspectCommandTest.Result plain = run("tokenize", "--model", model, "--text", "Hello world");
        assertThat(plain.out()).isEqualTo("15043 3186\n");
        InspectCommandTest.Result bos = run("tokenize", "--model", model, "--text", "Hello world", "--add-special");
        assertThat(bos.out()).isEqualTo("1 15043 3186\n");
        InspectCommandTest.Result json = run("tokenize", "--model", model, "--text", "Hello world", "--json");
        assertThat(json.exitCode()).isZero();
        Map<String, Object> parsed = Json.parseObject(json.out());
        assertThat(parsed.get("ids")).isEqualTo(List.of(15043L, 3186L));
        assertThat(parsed.get("pieces")).isEqualTo(List.of("▁Hello", "▁world"));
        InspectCommandTest.Result many = run("tokenize", "--model", model, "--text", "a|b", "--separator", "|", "--json");
        assertThat(Json.asArray(Json.parse(many.out()), "results")).hasSize(2);
    }

    @Test
    void separatorEscapesAndTrailingSeparator() {
        assertThat(TokenizeCommand.unescape("\\n__x__\\t\\\\\\u0041")).isEqualTo("\n__x__\t\\A");
        assertThat(TokenizeCommand.splitInput("a|b|", "|")).containsExactly("a", "b");
        assertThat(TokenizeCommand.splitInput("a||b", "|")).containsExactly("a", "", "b");
        assertThat(TokenizeCommand.splitInput("", "|")).containsExactly("");
    }

    @Test
    void errorsAreOneLineWithNonZeroExit(@TempDir Path dir) throws Exception {
        String model = SharedModels.file("vocab/ggml-vocab-llama-spm.gguf").toString();
        assertOneLineError(run("tokenize", "--text", "x"), "exactly one of --model FILE or --tokenizer PATH");
        assertOneLineError(run("tokenize", "--model", model), "exactly one of --text T or --file F");
        assertOneLineError(run("tokenize", "--model", model, "--text", "x", "--file", "y"), "exactly one of --text");
        assertOneLineError(run("tokenize", "--model", dir.resolve("missing.gguf").toString(), "--text", "x"), "file not found");
        assertOneLineError(run("tokenize", "--tokenizer", SharedModels.file("tokenizers/qwen2").toString(), "--pre", "nope",
                "--text", "x"), "unknown pre-tokenizer 'nope'");
        assertOneLineError(run("tokenize", "--model", model, "--text", "x", "--separator", "\\q"), "unknown escape");
        assertOneLineError(run("tokenize", "--model", model, "--text", "x", "--bogus"), "unknown option '--bogus'");
        Path notGguf = Files.writeString(dir.resolve("bad.gguf"), "not a gguf file");
        assertOneLineError(run("tokenize", "--model", notGguf.toString(), "--text", "x"), "not a GGUF file");
        Path badJson = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {");
        assertOneLineError(run("tokenize", "--tokenizer", badJson.toString(), "--text", "x"), "malformed JSON");
        Path latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9});
        assertOneLineError(run("tokenize", "--model", model, "--file", latin1.toString()), "not valid UTF-8");
        InspectCommandTest.Result help = run("tokenize", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--separator S").contains("--pre NAME");
    }

    private static void assertOneLineError(InspectCommandTest.Result r, String message) {
        assertThat(r.exitCode()).as(r.err()).isNotZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("infera tokenize: ").contains(message);
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
    }
}
