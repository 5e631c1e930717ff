package dev.infera.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.ModelFormatException;
import dev.infera.core.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damaged tokenizer files on disk: bytes that are not UTF-8, forged tiktoken ranks, and seeded random
 * mutations of a small {@code tokenizer.json}. Each must load or fail with a
 * {@link ModelFormatException} naming the file, never with another exception type or a huge allocation.
 */
class TokenizerFileDamageTest {

    private static final byte[] NOT_UTF8 = {(byte) 0xC3, (byte) 0x28};
    private static final int MUTATIONS = 300;

    @TempDir
    Path dir;

    @Test
    void tokenizerJsonThatIsNotUtf8IsAFormatErrorWithTheByteOffset() throws IOException {
        byte[] good = smallTokenizerJson().getBytes(StandardCharsets.UTF_8);
        assertThat(Tokenizers.load(write("tokenizer.json", good), null).vocabSize()).isGreaterThan(256);
        int at = indexOf(good, "\"hello\"".getBytes(StandardCharsets.UTF_8)) + 1;
        byte[] bad = good.clone();
        bad[at] = NOT_UTF8[0];
        bad[at + 1] = NOT_UTF8[1];
        Path file = write("tokenizer.json", bad);
        assertThatThrownBy(() -> Tokenizers.load(file, null))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("UTF-8")
                .hasMessageContaining("byte offset " + at);
    }

    @ParameterizedTest
    @ValueSource(strings = {"vocab.json", "merges.txt", "added_tokens.json", "tokenizer_config.json"})
    void vocabMergesFolderFileThatIsNotUtf8IsAFormatError(String damaged) throws IOException {
        Path folder = Files.createDirectory(dir.resolve("folder"));
        Files.writeString(folder.resolve("vocab.json"), "{\"a\": 0, \"b\": 1, \"ab\": 2, \"<s>\": 3}");
        Files.writeString(folder.resolve("merges.txt"), "#version: 0.2\na b\n");
        Files.writeString(folder.resolve("added_tokens.json"), "{\"<s>\": 3}");
        Files.writeString(folder.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"GPT2Tokenizer\"}");
        assertThat(Tokenizers.load(folder, null).encode("ab")).containsExactly(2);

        byte[] original = Files.readAllBytes(folder.resolve(damaged));
        byte[] bad = new byte[original.length + 1];
        System.arraycopy(original, 0, bad, 0, original.length - 1);
        bad[original.length - 1] = (byte) 0xFF;
        bad[original.length] = original[original.length - 1];
        Files.write(folder.resolve(damaged), bad);
        assertThatThrownBy(() -> Tokenizers.load(folder, null))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(damaged).hasMessageContaining("byte offset " + (original.length - 1));
    }

    @Test
    void tiktokenRankFarBeyondTheEntriesIsRejectedByLine() throws IOException {
        Base64.Encoder b64 = Base64.getEncoder();
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            sb.append(b64.encodeToString(new byte[] {(byte) b})).append(' ').append(b).append('\n');
        }
        String bytes = sb.toString();
        Path sparse = write("gappy.tiktoken", (bytes + b64.encodeToString("ab".getBytes(StandardCharsets.UTF_8))
                + " " + (256 + TiktokenFile.RANK_GAP_SLACK) + "\n").getBytes(StandardCharsets.ISO_8859_1));
        Tokenizer t = Tokenizers.load(sparse, "gpt-2");
        assertThat(t.vocabSize()).isEqualTo(256 + TiktokenFile.RANK_GAP_SLACK + 1);
        assertThat(t.encode("ab")).containsExactly(256 + TiktokenFile.RANK_GAP_SLACK);

        Path forged = write("forged.tiktoken", (bytes + b64.encodeToString("ab".getBytes(StandardCharsets.UTF_8))
                + " 16000000\n").getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> Tokenizers.load(forged, "gpt-2"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("line 257").hasMessageContaining("rank 16000000");
    }

    @Test
    void mutatedTokenizerJsonLoadsOrFailsWithAFormatError() throws IOException {
        byte[] original = smallTokenizerJson().getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("tokenizer.json");
        int loaded = 0;
        List<String> wrong = new ArrayList<>();
        for (int seed = 0; seed < MUTATIONS; seed++) {
            Files.write(file, mutate(original, new Random(seed)));
            try {
                Tokenizer t = Tokenizers.load(file, null);
                t.decode(t.encode("hello world  <|endoftext|> 12345 héllo", true, true));
                loaded++;
            } catch (ModelFormatException e) {
                assertThat(e.getMessage()).as("seed %d", seed).isNotBlank();
            } catch (RuntimeException | StackOverflowError e) {
                wrong.add("seed " + seed + ": " + e);
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(loaded).as("mutations that leave a loadable file").isPositive().isLessThan(MUTATIONS);
    }

    private static byte[] mutate(byte[] original, Random random) {
        byte[] b = original.clone();
        int steps = 1 + random.nextInt(3);
        for (int s = 0; s < steps && b.length > 0; s++) {
            int at = random.nextInt(b.length);
            b = switch (random.nextInt(6)) {
                case 0 -> {
                    b[at] ^= (byte) (1 << random.nextInt(8));
                    yield b;
                }
                case 1 -> {
                    b[at] = (byte) random.nextInt(256);
                    yield b;
                }
                case 2 -> Arrays.copyOf(b, at);
                case 3 -> splice(b, at, at, String.valueOf(random.nextBoolean() ? 99_999_999_999L : 2_147_483_647L)
                        .getBytes(StandardCharsets.US_ASCII));
                case 4 -> splice(b, at, Math.min(b.length, at + 1 + random.nextInt(40)), new byte[0]);
                default -> {
                    int from = random.nextInt(b.length);
                    yield splice(b, at, at, Arrays.copyOfRange(b, from, Math.min(b.length, from + random.nextInt(60))));
                }
            };
        }
        return b;
    }

    private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
        byte[] out = new byte[b.length - (to - from) + insert.length];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(insert, 0, out, from, insert.length);
        System.arraycopy(b, to, out, from + insert.length, b.length - to);
        return out;
    }

    /** A byte-level BPE tokenizer.json: all 256 byte tokens, a few merges, an added special token. */
    static String smallTokenizerJson() {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(ByteLevel.encode(new byte[] {(byte) b}), (long) b);
        }
        List<Object> merges = new ArrayList<>();
        for (String[] m : new String[][] {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"\u0120", "w"},
                {"\u0120w", "o"}, {"r", "l"}, {"\u0120wo", "rl"}, {"\u0120worl", "d"}}) {
            merges.add(m[0] + " " + m[1]);
            vocab.put(m[0] + m[1], (long) vocab.size());
        }
        int eos = vocab.size();
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("added_tokens", List.of(Map.of("id", (long) eos, "content", "<|endoftext|>", "special", true)));
        root.put("normalizer", Map.of("type", "NFC"));
        root.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(
                Map.of("type", "Split", "pattern", Map.of("Regex", "\\p{N}{1,3}"), "behavior", "Isolated"),
                Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", true))));
        root.put("post_processor", Map.of("type", "TemplateProcessing", "single", List.of(
                Map.of("Sequence", Map.of("id", "A")), Map.of("SpecialToken", Map.of("id", "<|endoftext|>")))));
        root.put("model", model);
        return Json.writePretty(root);
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("not found");
    }
}
