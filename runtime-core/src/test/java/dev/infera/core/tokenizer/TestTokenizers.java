package dev.infera.core.tokenizer;

import dev.infera.core.testing.SharedModels;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** Tokenizers from the shared test files, loaded once per test JVM. */
final class TestTokenizers {

    private static final ConcurrentHashMap<String, Tokenizer> CACHE = new ConcurrentHashMap<>();

    private TestTokenizers() {
    }

    static Tokenizer llamaSpm() {
        return cached("llama-spm", () -> TokenizerGguf.load(SharedModels.file("vocab/ggml-vocab-llama-spm.gguf")));
    }

    static Tokenizer gpt2() {
        return cached("gpt-2", () -> TokenizerGguf.load(SharedModels.file("vocab/ggml-vocab-gpt-2.gguf")));
    }

    static Tokenizer bert() {
        return cached("bert-bge", () -> TokenizerGguf.load(SharedModels.file("vocab/ggml-vocab-bert-bge.gguf")));
    }

    static Tokenizer llama3() {
        return cached("llama3", () -> Tokenizers.load(SharedModels.file("tokenizers/llama3/tokenizer.model"), null));
    }

    static Tokenizer qwen2() {
        return cached("qwen2", () -> Tokenizers.load(SharedModels.file("tokenizers/qwen2"), null));
    }

    static Tokenizer smollm2() {
        return cached("smollm2", () -> Tokenizers.load(
                SharedModels.file("tokenizers/smollm2/SmolLM2-135M-Instruct-Tokenizer.json"), null));
    }

    static Tokenizer tok512() {
        return cached("tok512", () -> TokenizerGguf.load(SharedModels.file("stories260K.gguf")));
    }

    static Tokenizer byName(String name) {
        return switch (name) {
            case "llama-spm" -> llamaSpm();
            case "gpt-2" -> gpt2();
            case "bert-bge" -> bert();
            case "llama3" -> llama3();
            case "qwen2" -> qwen2();
            case "smollm2" -> smollm2();
            case "tok512" -> tok512();
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static Tokenizer cached(String key, Supplier<Tokenizer> load) {
        Tokenizer t = CACHE.get(key);
        if (t == null) {
            t = load.get();
            CACHE.putIfAbsent(key, t);
        }
        return t;
    }
}
