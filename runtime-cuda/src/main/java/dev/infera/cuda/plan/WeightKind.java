package dev.infera.cuda.plan;

/**
 * The device tensors of a model. Per-layer kinds are indexed by layer; the others by layer -1. Q, K and
 * V are one fused matrix (rows of Q, then K, then V) with one fused bias, and gate and up one matrix
 * (gate rows, then up rows), so each takes one launch.
 */
public enum WeightKind {
    EMBEDDING(false),
    OUTPUT(false),
    OUTPUT_NORM(false),
    ROPE_INV_FREQ(false),
    ATTN_NORM(true),
    QKV(true),
    QKV_BIAS(true),
    WO(true),
    FFN_NORM(true),
    GATE_UP(true),
    DOWN(true);

    private final boolean perLayer;

    WeightKind(boolean perLayer) {
        this.perLayer = perLayer;
    }

    public boolean perLayer() {
        return perLayer;
    }
}
