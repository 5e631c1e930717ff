package dev.infera.core.model;

/**
 * The tensors of one decoder block. Matrices are GGML-order {@code [cols, rows]}; norm weights and
 * biases are F32 vectors. The Q/K/V biases are null for models without them.
 */
public record LayerWeights(
        ModelTensor attnNorm,
        ModelTensor wq,
        ModelTensor wk,
        ModelTensor wv,
        ModelTensor wo,
        ModelTensor bq,
        ModelTensor bk,
        ModelTensor bv,
        ModelTensor ffnNorm,
        ModelTensor ffnGate,
        ModelTensor ffnUp,
        ModelTensor ffnDown) {

    public boolean hasQkvBias() {
        return bq != null;
    }
}
