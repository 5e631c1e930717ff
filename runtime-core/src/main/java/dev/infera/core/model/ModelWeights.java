package dev.infera.core.model;

import dev.infera.api.ModelFormatException;
import dev.infera.core.gguf.GgmlType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The tensors a Llama-family forward pass reads, found by their standard GGUF names and checked
 * against a {@link ModelConfig}: every matrix has the shape the configuration implies, a type the
 * matrix kernels compute with, a row length that is a whole number of quantization blocks, and at
 * least as many bytes as its type and shape need; every norm weight and bias is an F32 vector of the
 * right length. A missing, mis-shaped or mistyped tensor is a {@link ModelFormatException} naming it,
 * so a backend never meets a surprise halfway through a step.
 *
 * <p>A model without {@code output.weight} ties its output matrix to {@code token_embd.weight}.
 * {@code rope_freqs.weight}, when present, divides each RoPE pair's frequency (Llama 3.1 style).
 */
public final class ModelWeights {

    /** Matrix element types the CPU matrix kernels support. */
    public static final Set<GgmlType> MATRIX_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16,
            GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
            GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    private final ModelConfig config;
    private final ModelTensor tokenEmbedding;
    private final ModelTensor outputNorm;
    private final ModelTensor output;
    private final boolean outputTied;
    private final List<LayerWeights> layers;
    private final ModelTensor ropeFreqDivisors;

    private ModelWeights(ModelConfig config, ModelTensor tokenEmbedding, ModelTensor outputNorm, ModelTensor output,
            boolean outputTied, List<LayerWeights> layers, ModelTensor ropeFreqDivisors) {
        this.config = config;
        this.tokenEmbedding = tokenEmbedding;
        this.outputNorm = outputNorm;
        this.output = output;
        this.outputTied = outputTied;
        this.layers = List.copyOf(layers);
        this.ropeFreqDivisors = ropeFreqDivisors;
    }

    /**
     * Whether every layer matrix (Q, K, V, output, gate, up, down) is F32: what the backends' automatic
     * KV cache type follows (F32 K/V for such a model, a 2-byte type otherwise).
     */
    public boolean layerMatricesAllF32() {
        for (LayerWeights l : layers) {
            for (ModelTensor t : List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.ffnGate(), l.ffnUp(), l.ffnDown())) {
                if (t.type() != GgmlType.F32) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Finds and checks every tensor the configuration needs. */
    public static ModelWeights load(ModelConfig config, TensorSource source) {
        int dim = config.embeddingLength();
        int qDim = config.queryDim();
        int kvDim = config.kvDim();
        int ffn = config.feedForwardLength();
        Finder f = new Finder(source);
        ModelTensor embedding = f.matrix("token_embd.weight", dim, config.vocabSize());
        ModelTensor outputNorm = f.vector("output_norm.weight", dim);
        ModelTensor output = source.find("output.weight") != null
                ? f.matrix("output.weight", dim, config.vocabSize())
                : null;
        List<LayerWeights> layers = new ArrayList<>(config.numLayers());
        for (int l = 0; l < config.numLayers(); l++) {
            String p = "blk." + l + ".";
            boolean bias = config.architecture().hasQkvBias() || source.find(p + "attn_q.bias") != null;
            layers.add(new LayerWeights(
                    f.vector(p + "attn_norm.weight", dim),
                    f.matrix(p + "attn_q.weight", dim, qDim),
                    f.matrix(p + "attn_k.weight", dim, kvDim),
                    f.matrix(p + "attn_v.weight", dim, kvDim),
                    f.matrix(p + "attn_output.weight", qDim, dim),
                    bias ? f.vector(p + "attn_q.bias", qDim) : null,
                    bias ? f.vector(p + "attn_k.bias", kvDim) : null,
                    bias ? f.vector(p + "attn_v.bias", kvDim) : null,
                    f.vector(p + "ffn_norm.weight", dim),
                    f.matrix(p + "ffn_gate.weight", dim, ffn),
                    f.matrix(p + "ffn_up.weight", dim, ffn),
                    f.matrix(p + "ffn_down.weight", ffn, dim)));
        }
        ModelTensor ropeFreqs = source.find("rope_freqs.weight") != null
                ? f.vector("rope_freqs.weight", config.ropeDim() / 2)
                : null;
        return new ModelWeights(config, embedding, outputNorm, output != null ? output : embedding, output == null,
                layers, ropeFreqs);
    }

    public ModelConfig config() {
        return config;
    }

    /** {@code [embeddingLength, vocabSize]}: row {@code t} is token {@code t}'s embedding. */
    public ModelTensor tokenEmbedding() {
        return tokenEmbedding;
    }

    public ModelTensor outputNorm() {
        return outputNorm;
    }

    /** {@code [embeddingLength, vocabSize]}; the token embedding itself when {@link #outputTied()}. */
    public ModelTensor output() {
        return output;
    }

    public boolean outputTied() {
        return outputTied;
    }

    public List<LayerWeights> layers() {
        return layers;
    }

    public LayerWeights layer(int index) {
        return layers.get(index);
    }

    /** The inverse RoPE frequency of each pair, with scaling and {@code rope_freqs.weight} applied. */
    public float[] ropeInverseFrequencies() {
        return RopeFrequencies.inverseFrequencies(config,
                ropeFreqDivisors != null ? ropeFreqDivisors.toFloatArray() : null);
    }

    /** Bytes of weight data one forward step over a single token reads (every matrix once). */
    public long matrixBytes() {
        long total = output.data().byteSize();
        for (LayerWeights l : layers) {
            total += l.wq().data().byteSize() + l.wk().data().byteSize() + l.wv().data().byteSize()
                    + l.wo().data().byteSize() + l.ffnGate().data().byteSize() + l.ffnUp().data().byteSize()
                    + l.ffnDown().data().byteSize();
        }
        return total;
    }

    /** Looks tensors up and checks them, slicing each to exactly the bytes its type and shape need. */
    private record Finder(TensorSource source) {

        ModelTensor require(String name) {
            ModelTensor t = source.find(name);
            if (t == null) {
                throw new ModelFormatException("model tensor '" + name + "' is missing");
            }
            return t;
        }

        ModelTensor matrix(String name, int cols, int rows) {
            ModelTensor t = require(name);
            if (!t.hasShape(cols, rows)) {
                throw new ModelFormatException("model tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                        + ", expected [" + cols + ", " + rows + "]");
            }
            if (!MATRIX_TYPES.contains(t.type())) {
                throw new ModelFormatException("model tensor '" + name + "' has type " + t.type()
                        + ", which the matrix kernels do not support (supported: " + MATRIX_TYPES + ")");
            }
            if (cols % t.type().blockSize() != 0) {
                throw new ModelFormatException("model tensor '" + name + "' of type " + t.type() + " has rows of "
                        + cols + " elements, not a multiple of the type's block size " + t.type().blockSize());
            }
            return sized(t);
        }

        ModelTensor vector(String name, int length) {
            ModelTensor t = require(name);
            if (!t.hasShape(length)) {
                throw new ModelFormatException("model tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                        + ", expected [" + length + "]");
            }
            if (t.type() != GgmlType.F32) {
                throw new ModelFormatException("model tensor '" + name + "' has type " + t.type() + ", expected F32");
            }
            return sized(t);
        }

        private static ModelTensor sized(ModelTensor t) {
            long need = t.type().byteSize(t.numElements());
            if (need < 0 || t.data().byteSize() < need) {
                throw new ModelFormatException("model tensor '" + t.name() + "' holds " + t.data().byteSize()
                        + " bytes, but " + t.type() + " " + Arrays.toString(t.shape()) + " needs " + need);
            }
            return new ModelTensor(t.name(), t.type(), t.shape(), t.data().asSlice(0, need));
        }
    }
}
