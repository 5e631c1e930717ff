package dev.infera.core.model;

/**
 * How rotary position embedding pairs the dimensions of a head. {@link #NORM} rotates adjacent pairs
 * {@code (2i, 2i+1)} (Llama as stored in GGUF, whose Q/K rows are permuted for it); {@link #NEOX}
 * rotates the halves against each other, pairing {@code i} with {@code i + ropeDim/2} (Qwen2). Pair
 * {@code i} turns by the same angle in both variants.
 */
public enum RopeType {
    NORM,
    NEOX
}
