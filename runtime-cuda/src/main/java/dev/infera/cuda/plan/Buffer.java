package dev.infera.cuda.plan;

/**
 * The device buffers a step works in, besides the weights. All but {@link #KV_CACHE} are carved out of
 * one scratch allocation sized by {@link ScratchLayout}; row widths are those of {@link ModelShape}.
 */
public enum Buffer {
    /** Residual stream, tokens x dim, F32. */
    X,
    /** Normed layer input, tokens x dim. */
    XB,
    /** Fused Q|K|V projections (after bias and RoPE), tokens x (qDim + 2 kvDim). */
    QKV,
    /** Attention output, tokens x qDim. */
    ATT,
    /** Output of the attention and FFN down projections, tokens x dim. */
    PROJ,
    /** Fused gate|up projections, tokens x 2 ffn. */
    GATE_UP,
    /** silu(gate) * up, tokens x ffn. */
    ACT,
    /** A GEMM's activations converted to BF16 or F16, tokens x (widest input). */
    GEMM_INPUT,
    /** A row range of a quantized matrix expanded to BF16 for cuBLAS. */
    DEQUANT,
    /** Decode attention partials: unnormalised outputs, entries x heads x splits x headDim. */
    PART_OUT,
    /** Decode attention partials: max score per entry, head and split. */
    PART_MAX,
    /** Decode attention partials: sum of exponentials per entry, head and split. */
    PART_SUM,
    /** Final-normed sample rows, samples x dim. */
    SAMPLE_XB,
    /** Logits of the sample rows, samples x vocab, F32. */
    LOGITS,
    /** Greedy token per sample row (int32). */
    ARGMAX,
    /** The step's int32 metadata (see {@link MetadataLayout}). */
    META,
    /** The paged KV cache (its own allocation). */
    KV_CACHE
}
