package dev.infera.jmh;

import dev.infera.core.tokenizer.Tokenizer;
import dev.infera.core.tokenizer.TokenizerGguf;
import dev.infera.core.tokenizer.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encode throughput of the byte-level BPE (Llama 3, Qwen 2) and SentencePiece (Llama 2) tokenizers
 * on about 300 KB of mixed text (prose, numbers, code, some non-Latin scripts and emoji), no special
 * tokens. The {@code megabytes} counter is UTF-8 input megabytes per second.
 *
 * <p>Needs the shared test models; {@code -p modelsDir=...} points elsewhere than {@code ../shared/models}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TokenizerEncodeBenchmark {

    @Param({"llama3", "qwen2", "llama-spm"})
    public String tokenizer;

    @Param("../shared/models")
    public String modelsDir;

    private Tokenizer tok;
    private String text;
    private double textMegabytes;

    /** Input megabytes encoded, reported per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Throughput {
        public double megabytes;

        @Setup(Level.Iteration)
        public void reset() {
            megabytes = 0;
        }
    }

    @Setup
    public void setUp() {
        Path models = Path.of(modelsDir);
        if (!Files.isDirectory(models)) {
            throw new IllegalStateException("shared models folder " + models.toAbsolutePath()
                    + " is missing; pass -p modelsDir=PATH");
        }
        tok = switch (tokenizer) {
            case "llama3" -> Tokenizers.load(models.resolve("tokenizers/llama3/tokenizer.model"), null);
            case "qwen2" -> Tokenizers.load(models.resolve("tokenizers/qwen2"), null);
            case "llama-spm" -> TokenizerGguf.load(models.resolve("vocab/ggml-vocab-llama-spm.gguf"));
            default -> throw new IllegalArgumentException("unknown tokenizer " + tokenizer);
        };
        text = mixedText(300_000, 42);
        textMegabytes = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
    }

    @Benchmark
    public int[] encode(Throughput counter) {
        counter.megabytes += textMegabytes;
        return tok.encode(text, false, false);
    }

    /**
     * Deterministic mixed text of about {@code chars} characters: frequent words, made-up words from
     * random syllables (so the text is not just a few words repeated), numbers, code, other scripts.
     */
    static String mixedText(int chars, long seed) {
        String[] words = {"the", "of", "and", "a", "to", "in", "is", "was", "that", "for", "it", "with", "as", "on",
            "tokenizer", "inference", "engine", "request", "batch", "memory", "model", "throughput", "latency",
            "Hello", "World", "It's", "we'll", "don't", "they've", "naïve", "café", "über", "résumé",
            "Москва", "данные", "東京", "数据", "トークン", "서울", "😀", "🦙", "🚀"};
        String[] syllables = {"ka", "ri", "mon", "te", "sa", "lo", "ven", "dra", "qui", "bel", "tor", "ex", "ul", "ph",
            "ing", "tion", "er", "ly", "ness", "pre", "un", "str", "zy", "ö", "ä", "é", "ст", "ра", "ни"};
        String[] glue = {" ", " ", " ", " ", " ", ", ", ". ", "; ", "\n", "\n\n", "  ", "\t", " (", ") ", ": ", "!", "?"};
        String[] code = {"for (int i = 0; i < n; i++) {\n    sum += x[i];\n}\n", "def f(x):\n    return x * 2\n",
            "{\"id\": 17, \"name\": \"llama\", \"ok\": true}\n", "    if (a != b) return -1;\n", "SELECT id FROM t WHERE x > 3;\n"};
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder(chars + 64);
        while (sb.length() < chars) {
            int kind = random.nextInt(40);
            if (kind == 0) {
                sb.append(code[random.nextInt(code.length)]);
            } else if (kind < 4) {
                sb.append(random.nextInt(100_000)).append(random.nextBoolean() ? "." + random.nextInt(100) : "");
            } else if (kind < 16) {
                int n = 1 + random.nextInt(4);
                for (int k = 0; k < n; k++) {
                    sb.append(syllables[random.nextInt(syllables.length)]);
                }
            } else {
                sb.append(words[random.nextInt(words.length)]);
            }
            sb.append(glue[random.nextInt(glue.length)]);
        }
        return sb.toString();
    }
}
