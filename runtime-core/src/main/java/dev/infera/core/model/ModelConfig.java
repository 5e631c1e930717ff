package dev.infera.core.model;

import dev.infera.api.ModelFormatException;
import dev.infera.core.gguf.GgufMetadata;

/**
 * The hyperparameters of a Llama-family decoder, read from GGUF metadata ({@code <arch>.*} keys).
 * The constructor checks the invariants a forward pass relies on (every count positive, query heads a
 * multiple of KV heads, an even RoPE dimension no larger than a head), so a backend can trust any
 * instance. {@link #fromMetadata} turns a bad or missing key into a {@link ModelFormatException}
 * naming it.
 *
 * @param embeddingLength model width ({@code <arch>.embedding_length})
 * @param headDim elements per attention head (key and value length)
 * @param feedForwardLength hidden width of the SwiGLU block
 * @param ropeDim leading dimensions of each head that RoPE rotates (the rest pass through)
 * @param contextLength the longest context the model was trained for, in tokens
 */
public record ModelConfig(
        ModelArchitecture architecture,
        int embeddingLength,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int feedForwardLength,
        int vocabSize,
        float rmsNormEps,
        float ropeTheta,
        int ropeDim,
        RopeScaling ropeScaling,
        int contextLength) {

    public ModelConfig {
        if (architecture == null || ropeScaling == null) {
            throw new IllegalArgumentException("architecture and rope scaling must not be null");
        }
        positive("embedding length", embeddingLength);
        positive("layer count", numLayers);
        positive("attention head count", numHeads);
        positive("KV head count", numKvHeads);
        positive("head dimension", headDim);
        positive("feed-forward length", feedForwardLength);
        positive("vocabulary size", vocabSize);
        positive("rope dimension", ropeDim);
        positive("context length", contextLength);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("attention head count " + numHeads
                    + " is not a multiple of the KV head count " + numKvHeads);
        }
        if (ropeDim % 2 != 0 || ropeDim > headDim) {
            throw new IllegalArgumentException("rope dimension " + ropeDim
                    + " must be even and at most the head dimension " + headDim);
        }
        if (!(rmsNormEps > 0) || !Float.isFinite(rmsNormEps)) {
            throw new IllegalArgumentException("RMSNorm epsilon must be a positive number, got " + rmsNormEps);
        }
        if (!(ropeTheta > 0) || !Float.isFinite(ropeTheta)) {
            throw new IllegalArgumentException("rope theta must be a positive number, got " + ropeTheta);
        }
    }

    private static void positive(String what, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
    }

    /** Width of the concatenated query heads. */
    public int queryDim() {
        return numHeads * headDim;
    }

    /** Width of the concatenated key (or value) heads. */
    public int kvDim() {
        return numKvHeads * headDim;
    }

    /** Query heads that share one KV head. */
    public int headsPerKvHead() {
        return numHeads / numKvHeads;
    }

    public RopeType ropeType() {
        return architecture.ropeType();
    }

    /**
     * Reads the configuration of a GGUF model. The vocabulary size comes from {@code <arch>.vocab_size}
     * or, failing that, the length of {@code tokenizer.ggml.tokens}.
     */
    public static ModelConfig fromMetadata(GgufMetadata md) {
        return fromMetadata(md, 0);
    }

    /**
     * Like {@link #fromMetadata(GgufMetadata)}, but without {@code <arch>.vocab_size} the vocabulary
     * size is {@code embeddingRows} (the rows of {@code token_embd.weight}, which fix the width of the
     * logits even when the tokenizer lists fewer tokens) when that is positive.
     */
    public static ModelConfig fromMetadata(GgufMetadata md, long embeddingRows) {
        ModelArchitecture arch = ModelArchitecture.fromGguf(md.getString("general.architecture"));
        String p = arch.ggufName() + ".";
        int dim = md.getInt(p + "embedding_length");
        int numHeads = md.getInt(p + "attention.head_count");
        int numKvHeads = md.getInt(p + "attention.head_count_kv", numHeads);
        if (numHeads <= 0) {
            throw new ModelFormatException("GGUF metadata key '" + p + "attention.head_count' = " + numHeads
                    + " must be positive");
        }
        int headDim = md.getInt(p + "attention.key_length", dim / numHeads);
        int valueLength = md.getInt(p + "attention.value_length", headDim);
        if (valueLength != headDim) {
            throw new ModelFormatException("GGUF metadata key '" + p + "attention.value_length' = " + valueLength
                    + " differs from the key length " + headDim + "; only equal lengths are supported");
        }
        int vocabSize;
        if (md.contains(p + "vocab_size")) {
            vocabSize = md.getInt(p + "vocab_size");
        } else if (embeddingRows > 0 && embeddingRows <= Integer.MAX_VALUE) {
            vocabSize = (int) embeddingRows;
        } else if (md.contains("tokenizer.ggml.tokens")) {
            vocabSize = md.getArray("tokenizer.ggml.tokens").length();
        } else {
            throw new ModelFormatException("vocabulary size unknown: neither GGUF metadata key '" + p
                    + "vocab_size' nor 'tokenizer.ggml.tokens' is present");
        }
        try {
            return new ModelConfig(
                    arch,
                    dim,
                    md.getInt(p + "block_count"),
                    numHeads,
                    numKvHeads,
                    headDim,
                    md.getInt(p + "feed_forward_length"),
                    vocabSize,
                    md.getFloat(p + "attention.layer_norm_rms_epsilon"),
                    md.getFloat(p + "rope.freq_base", 10000f),
                    md.getInt(p + "rope.dimension_count", headDim),
                    ropeScaling(md, p),
                    md.getInt(p + "context_length"));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("invalid '" + arch.ggufName() + "' hyperparameters in GGUF metadata: "
                    + e.getMessage(), e);
        }
    }

    private static RopeScaling ropeScaling(GgufMetadata md, String p) {
        String typeKey = p + "rope.scaling.type";
        float factor = md.getFloat(p + "rope.scaling.factor", md.getFloat(p + "rope.scale_linear", 1f));
        String type = md.findString(typeKey).orElse(factor != 1f ? "linear" : "none");
        return switch (type) {
            case "none" -> RopeScaling.NONE;
            case "linear" -> factor == 1f ? RopeScaling.NONE : RopeScaling.linear(factor);
            case "llama3" -> RopeScaling.llama3(factor,
                    md.getFloat(p + "rope.scaling.low_freq_factor", 1f),
                    md.getFloat(p + "rope.scaling.high_freq_factor", 4f),
                    md.getInt(p + "rope.scaling.original_context_length", 8192));
            default -> throw new ModelFormatException("GGUF metadata key '" + typeKey + "' = '" + type
                    + "' is not supported (supported: none, linear, llama3)");
        };
    }
}
