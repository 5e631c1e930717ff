package dev.infera.core.synth;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The shape of a synthetic model: a real model's hyperparameters without its weights. The presets
 * copy the published configurations of SmolLM2-135M, Qwen2.5-0.5B and Llama-3.2-1B, so a synthetic
 * file does the same work per token as the real model; the tiny ones exist for fast tests.
 *
 * @param architecture GGUF {@code general.architecture}: {@code llama} or {@code qwen2}
 * @param embeddingLength model width
 * @param feedForwardLength hidden width of the SwiGLU block
 * @param vocabSize rows of the token embedding (and of the output matrix)
 * @param tiedEmbeddings whether the output projection reuses {@code token_embd} (no {@code output.weight})
 * @param qkvBias whether the attention Q, K and V projections carry biases
 * @param ropeTheta RoPE base frequency
 * @param contextLength trained context length, in tokens
 */
public record SynthPreset(
        String name,
        String architecture,
        int embeddingLength,
        int feedForwardLength,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int vocabSize,
        boolean tiedEmbeddings,
        boolean qkvBias,
        float ropeTheta,
        float rmsNormEps,
        int contextLength) {

    public static final SynthPreset SMOLLM2_135M =
            new SynthPreset("smollm2-135m", "llama", 576, 1536, 30, 9, 3, 49152, true, false, 1e5f, 1e-5f, 8192);
    public static final SynthPreset QWEN25_05B =
            new SynthPreset("qwen2.5-0.5b", "qwen2", 896, 4864, 24, 14, 2, 151936, true, true, 1e6f, 1e-6f, 32768);
    public static final SynthPreset LLAMA_1B =
            new SynthPreset("llama-1b", "llama", 2048, 8192, 16, 32, 8, 128256, true, false, 5e5f, 1e-5f, 131072);
    /** A few-hundred-kilobyte Llama with an untied output matrix, for tests. */
    public static final SynthPreset TINY =
            new SynthPreset("tiny", "llama", 64, 128, 2, 4, 2, 512, false, false, 1e4f, 1e-5f, 512);
    /** A tiny Qwen2 (Q/K/V biases, tied output), for tests. */
    public static final SynthPreset TINY_QWEN2 =
            new SynthPreset("tiny-qwen2", "qwen2", 64, 128, 2, 4, 2, 512, true, true, 1e6f, 1e-6f, 512);

    public static final List<SynthPreset> ALL = List.of(SMOLLM2_135M, QWEN25_05B, LLAMA_1B, TINY, TINY_QWEN2);

    public SynthPreset {
        if (!architecture.equals("llama") && !architecture.equals("qwen2")) {
            throw new IllegalArgumentException("preset " + name + ": architecture must be llama or qwen2, got "
                    + architecture);
        }
        if (embeddingLength <= 0 || feedForwardLength <= 0 || numLayers <= 0 || numHeads <= 0 || numKvHeads <= 0
                || vocabSize <= 0 || contextLength <= 0) {
            throw new IllegalArgumentException("preset " + name + ": every size must be positive");
        }
        if (embeddingLength % numHeads != 0 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("preset " + name + ": width " + embeddingLength + ", " + numHeads
                    + " heads and " + numKvHeads + " KV heads do not divide evenly");
        }
    }

    /** The preset with this name; an {@link IllegalArgumentException} listing the known ones otherwise. */
    public static SynthPreset byName(String name) {
        return ALL.stream().filter(p -> p.name.equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown preset '" + name + "'; known: " + names()));
    }

    public static String names() {
        return ALL.stream().map(SynthPreset::name).collect(Collectors.joining(", "));
    }

    public int headDim() {
        return embeddingLength / numHeads;
    }

    public int kvDim() {
        return numKvHeads * headDim();
    }

    /** The same shape with another layer count (for quick tests at a real model's width). */
    public SynthPreset withLayers(int layers) {
        return new SynthPreset(name, architecture, embeddingLength, feedForwardLength, layers, numHeads, numKvHeads,
                vocabSize, tiedEmbeddings, qkvBias, ropeTheta, rmsNormEps, contextLength);
    }

    /** The same shape with another vocabulary size (a copied tokenizer decides it). */
    public SynthPreset withVocabSize(int vocab) {
        return new SynthPreset(name, architecture, embeddingLength, feedForwardLength, numLayers, numHeads, numKvHeads,
                vocab, tiedEmbeddings, qkvBias, ropeTheta, rmsNormEps, contextLength);
    }
}
