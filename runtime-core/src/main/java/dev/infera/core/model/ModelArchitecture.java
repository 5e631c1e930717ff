package dev.infera.core.model;

import dev.infera.api.ModelFormatException;

/**
 * The model families the forward pass implements, keyed by GGUF {@code general.architecture}. Each
 * fixes what the file does not say: the RoPE pairing and whether Q/K/V projections carry biases.
 */
public enum ModelArchitecture {
    /** Llama 2/3, SmolLM, Mistral-style grouped-query attention. */
    LLAMA("llama", RopeType.NORM, false),
    /** Qwen2 / Qwen2.5: biases on the Q, K and V projections, half-split RoPE. */
    QWEN2("qwen2", RopeType.NEOX, true);

    private final String ggufName;
    private final RopeType ropeType;
    private final boolean qkvBias;

    ModelArchitecture(String ggufName, RopeType ropeType, boolean qkvBias) {
        this.ggufName = ggufName;
        this.ropeType = ropeType;
        this.qkvBias = qkvBias;
    }

    /** The value of {@code general.architecture}, also the prefix of the family's metadata keys. */
    public String ggufName() {
        return ggufName;
    }

    public RopeType ropeType() {
        return ropeType;
    }

    /** Whether {@code attn_q/k/v.bias} tensors are required. */
    public boolean hasQkvBias() {
        return qkvBias;
    }

    /** The architecture a GGUF file names, or a {@link ModelFormatException} listing the supported ones. */
    public static ModelArchitecture fromGguf(String name) {
        for (ModelArchitecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        StringBuilder known = new StringBuilder();
        for (ModelArchitecture a : values()) {
            known.append(known.isEmpty() ? "" : ", ").append(a.ggufName);
        }
        throw new ModelFormatException("unsupported model architecture '" + name
                + "' (general.architecture); supported: " + known);
    }
}
