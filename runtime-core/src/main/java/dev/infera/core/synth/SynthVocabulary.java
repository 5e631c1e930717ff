package dev.infera.core.synth;

import dev.infera.core.gguf.GgufArray;
import dev.infera.core.gguf.GgufFile;
import dev.infera.core.gguf.GgufValue;
import dev.infera.core.gguf.GgufValueType;
import dev.infera.api.ModelFormatException;
import dev.infera.core.tokenizer.SyntheticBpeVocabulary;
import dev.infera.core.tokenizer.TokenizerGguf;
import dev.infera.core.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code tokenizer.*} metadata a synthetic model carries, and fitting it to the model's embedding.
 *
 * <p>A GGUF reader takes the vocabulary size from the number of tokens, and the embedding must have
 * that many rows. A real tokenizer with fewer tokens than the preset's embedding rows (Qwen2.5 has
 * 151,665 tokens for 151,936 rows) is padded the way converters pad: {@code [PAD<id>]} tokens of type
 * unused with score -1000. A tokenizer with more tokens than the preset makes the embedding grow.
 */
public final class SynthVocabulary {

    /** llama.cpp's token type for unused (padding) tokens. */
    static final int TOKEN_TYPE_UNUSED = 5;
    static final float PAD_SCORE = -1000f;

    private SynthVocabulary() {
    }

    /**
     * The tokenizer metadata of a GGUF file (its {@code tokenizer.*} keys, copied) or of tokenizer files
     * that {@link Tokenizers#load} reads (a {@code tokenizer.json}, a folder with {@code vocab.json} and
     * {@code merges.txt}, a tiktoken ranks file), exported as GGUF metadata.
     */
    public static Map<String, GgufValue> load(Path path) {
        if (Files.isRegularFile(path) && isGguf(path)) {
            return fromGguf(path);
        }
        return TokenizerGguf.toMetadata(Tokenizers.load(path, null).vocabulary());
    }

    /**
     * A byte-level BPE tokenizer of exactly {@code vocabSize} tokens, built deterministically without any
     * input file (see {@link SyntheticBpeVocabulary}).
     */
    public static Map<String, GgufValue> synthetic(int vocabSize) {
        return TokenizerGguf.toMetadata(SyntheticBpeVocabulary.build(vocabSize));
    }

    private static boolean isGguf(Path path) {
        try (var in = Files.newInputStream(path)) {
            byte[] magic = in.readNBytes(4);
            return Arrays.equals(magic, "GGUF".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** Copies every {@code tokenizer.*} key of a GGUF file, in file order. */
    public static Map<String, GgufValue> fromGguf(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            Map<String, GgufValue> md = new LinkedHashMap<>();
            f.metadata().asMap().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    md.put(k, v);
                }
            });
            if (!md.containsKey("tokenizer.ggml.tokens")) {
                throw new ModelFormatException(path + " has no tokenizer (no 'tokenizer.ggml.tokens' key)");
            }
            tokenCount(md);
            return md;
        }
    }

    /** Number of tokens in {@code tokenizer.ggml.tokens}. */
    public static int tokenCount(Map<String, GgufValue> md) {
        GgufValue v = md.get("tokenizer.ggml.tokens");
        if (v == null || !(v.value() instanceof GgufArray a) || a.elementType() != GgufValueType.STRING) {
            throw new ModelFormatException("tokenizer metadata 'tokenizer.ggml.tokens' is missing or not a string array");
        }
        return a.length();
    }

    /**
     * Pads the per-token arrays ({@code tokens}, {@code token_type}, {@code scores}) to {@code vocabSize}
     * entries; returns the metadata unchanged when it already has that many tokens.
     */
    public static Map<String, GgufValue> padTo(Map<String, GgufValue> md, int vocabSize) {
        int count = tokenCount(md);
        if (count > vocabSize) {
            throw new IllegalArgumentException("cannot pad " + count + " tokens down to " + vocabSize);
        }
        if (count == vocabSize) {
            return md;
        }
        Map<String, GgufValue> out = new LinkedHashMap<>();
        md.forEach((k, v) -> {
            GgufValue padded = v;
            if (v.value() instanceof GgufArray a && a.length() == count) {
                switch (k) {
                    case "tokenizer.ggml.tokens" -> {
                        String[] s = Arrays.copyOf(a.strings(), vocabSize);
                        for (int i = count; i < vocabSize; i++) {
                            s[i] = "[PAD" + i + "]";
                        }
                        padded = GgufValue.ofArray(new GgufArray(GgufValueType.STRING, s));
                    }
                    case "tokenizer.ggml.token_type" -> padded = GgufValue.ofArray(padInts(a, vocabSize));
                    case "tokenizer.ggml.scores" -> padded = GgufValue.ofArray(padFloats(a, vocabSize));
                    default -> {
                    }
                }
            }
            out.put(k, padded);
        });
        return out;
    }

    private static GgufArray padInts(GgufArray a, int n) {
        if (!(a.values() instanceof int[] ints)) {
            throw new ModelFormatException("tokenizer metadata 'tokenizer.ggml.token_type' holds " + a.elementType()
                    + ", expected 32-bit integers");
        }
        int[] p = Arrays.copyOf(ints, n);
        Arrays.fill(p, ints.length, n, TOKEN_TYPE_UNUSED);
        return new GgufArray(a.elementType(), p);
    }

    private static GgufArray padFloats(GgufArray a, int n) {
        if (!(a.values() instanceof float[] f)) {
            throw new ModelFormatException("tokenizer metadata 'tokenizer.ggml.scores' holds " + a.elementType()
                    + ", expected FLOAT32");
        }
        float[] p = Arrays.copyOf(f, n);
        Arrays.fill(p, f.length, n, PAD_SCORE);
        return new GgufArray(GgufValueType.FLOAT32, p);
    }
}
