package dev.infera.cpu;

import dev.infera.core.model.LayerWeights;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelTensor;
import dev.infera.core.model.ModelWeights;
import dev.infera.cpu.kernels.WeightMatrix;

/**
 * A model's weights in the form the CPU kernels take: matrices as {@link WeightMatrix} views of the
 * (memory-mapped) tensor bytes, norm weights and biases copied to small float arrays, and the RoPE
 * inverse frequencies precomputed.
 */
final class CpuModel {

    record Layer(float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
            float[] bq, float[] bk, float[] bv, float[] ffnNorm, WeightMatrix gate, WeightMatrix up,
            WeightMatrix down) {
    }

    final ModelConfig config;
    final WeightMatrix tokenEmbedding;
    final float[] outputNorm;
    final WeightMatrix output;
    final Layer[] layers;
    final float[] ropeInverseFrequencies;

    CpuModel(ModelWeights weights) {
        this.config = weights.config();
        this.tokenEmbedding = matrix(weights.tokenEmbedding());
        this.outputNorm = weights.outputNorm().toFloatArray();
        this.output = weights.outputTied() ? tokenEmbedding : matrix(weights.output());
        this.layers = new Layer[config.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            LayerWeights w = weights.layer(l);
            layers[l] = new Layer(w.attnNorm().toFloatArray(), matrix(w.wq()), matrix(w.wk()), matrix(w.wv()),
                    matrix(w.wo()), vector(w.bq()), vector(w.bk()), vector(w.bv()), w.ffnNorm().toFloatArray(),
                    matrix(w.ffnGate()), matrix(w.ffnUp()), matrix(w.ffnDown()));
        }
        this.ropeInverseFrequencies = weights.ropeInverseFrequencies();
    }

    private static WeightMatrix matrix(ModelTensor t) {
        return new WeightMatrix(t.type(), t.data(), Math.toIntExact(t.dim(1)), Math.toIntExact(t.dim(0)));
    }

    private static float[] vector(ModelTensor t) {
        return t == null ? null : t.toFloatArray();
    }
}
