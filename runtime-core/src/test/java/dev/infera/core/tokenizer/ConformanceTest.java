package dev.infera.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.gguf.GgufFile;
import dev.infera.core.json.Json;
import dev.infera.core.testing.SharedModels;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exact-match conformance against the reference tokenizer test files in {@code ../shared/models}:
 * the reference runtime's vocab tests (same conventions: no special tokens added, special parsing
 * off), llama2.c's encode vectors and SmolLM2's reference input ids.
 */
class ConformanceTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "gpt-2", "bert-bge"})
    void vocabGgufFiles(String name) throws IOException {
        Path gguf = SharedModels.file("vocab/ggml-vocab-" + name + ".gguf");
        Tokenizer t = name.equals("phi-3") ? TokenizerGguf.load(gguf) : TestTokenizers.byName(name);
        VocabTestFiles.assertConforms(name, t, Path.of(gguf + ".inp"), Path.of(gguf + ".out"));
    }

    /**
     * This 2024 file repeats the key {@code general.file_type}, which the GGUF reader rightly rejects;
     * the test renames the second copy in memory (same length) so the vocabulary can be read.
     */
    @Test
    void dbrxGguf() throws IOException {
        Path gguf = SharedModels.file("vocab/dbrx-2024-05/ggml-vocab-dbrx.gguf");
        byte[] bytes = Files.readAllBytes(gguf);
        byte[] key = "general.file_type".getBytes(StandardCharsets.US_ASCII);
        int first = indexOf(bytes, key, 0);
        int second = indexOf(bytes, key, first + 1);
        assertThat(second).as("the duplicated key").isPositive();
        bytes[second + key.length - 1] = 'X';
        Vocabulary v;
        try (GgufFile f = GgufFile.parse(MemorySegment.ofArray(bytes), gguf.toString())) {
            v = TokenizerGguf.read(f.metadata());
        }
        VocabTestFiles.assertConforms("dbrx", Tokenizers.fromVocabulary(v), Path.of(gguf + ".inp"), Path.of(gguf + ".out"));
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= haystack.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (haystack[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void llama3TiktokenFile() throws IOException {
        Tokenizer t = TestTokenizers.llama3();
        Path base = SharedModels.file("vocab/ggml-vocab-llama-bpe.gguf.inp");
        VocabTestFiles.assertConforms("llama-bpe (tiktoken)", t, base, Path.of(base.toString().replace(".inp", ".out")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "deepseek-r1-qwen"})
    void qwen2VocabAndMerges(String name) throws IOException {
        Tokenizer t = TestTokenizers.qwen2();
        Path inp = SharedModels.file("vocab/ggml-vocab-" + name + ".gguf.inp");
        VocabTestFiles.assertConforms(name + " (vocab.json)", t, inp, Path.of(inp.toString().replace(".inp", ".out")));
    }

    @Test
    void smollmTokenizerJson() throws IOException {
        Tokenizer t = TestTokenizers.smollm2();
        Path inp = SharedModels.file("vocab/smollm-pr8609/ggml-vocab-smollm.gguf.inp");
        VocabTestFiles.assertConforms("smollm (tokenizer.json)", t, inp, Path.of(inp.toString().replace(".inp", ".out")));
    }

    @Test
    void smollm2ReferenceInputIds() throws IOException {
        Tokenizer t = TestTokenizers.smollm2();
        Map<String, Object> ref = Json.asObject(Json.parse(SharedModels.file("reference/smollm2-135m-instruct/reference.json")), "ref");
        List<Object> prompts = Json.asArray(ref.get("prompts"), "prompts");
        assertThat(prompts).isNotEmpty();
        int passed = 0;
        for (Object p : prompts) {
            Map<String, Object> prompt = Json.asObject(p, "prompt");
            int[] expected = Json.asArray(prompt.get("input_ids"), "input_ids").stream().mapToInt(o -> ((Long) o).intValue()).toArray();
            assertThat(t.encode((String) prompt.get("text"))).as("ids of %s", prompt.get("text")).containsExactly(expected);
            passed++;
        }
        System.out.printf("conformance %-28s %d/%d%n", "smollm2 reference.json", passed, prompts.size());
    }

    @Test
    void llama2cEncodeVectors() throws IOException {
        Tokenizer llama2 = TestTokenizers.llamaSpm();
        Tokenizer tok512 = TestTokenizers.tok512();
        List<String> lines = Files.readAllLines(SharedModels.file("reference/tokenizer/llama2c_encode_vectors.tsv"), StandardCharsets.UTF_8);
        int total = 0;
        int passed = 0;
        List<String> failures = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] cols = line.split("\t");
            Tokenizer t = switch (cols[0]) {
                case "tokenizer.bin" -> llama2;
                case "tok512.bin" -> tok512;
                default -> throw new IllegalStateException("unknown tokenizer " + cols[0]);
            };
            String prompt = unquoteC(cols[1]);
            int[] expected = Arrays.stream(cols[2].trim().split(" +")).mapToInt(Integer::parseInt).toArray();
            int[] got = t.encode(prompt, true, false);
            total++;
            if (Arrays.equals(got, expected)) {
                passed++;
            } else {
                failures.add(cols[0] + " " + cols[1] + ": expected " + Arrays.toString(expected) + " got " + Arrays.toString(got));
            }
        }
        System.out.printf("conformance %-28s %d/%d%n", "llama2c_encode_vectors.tsv", passed, total);
        assertThat(failures).isEmpty();
        assertThat(total).isEqualTo(13);
    }

    /** A C string literal ("..." with \n and \" escapes) to its text. */
    static String unquoteC(String literal) {
        String s = literal.substring(1, literal.length() - 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char e = s.charAt(++i);
                sb.append(switch (e) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    default -> e;
                });
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
