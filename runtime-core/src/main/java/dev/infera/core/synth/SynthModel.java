package dev.infera.core.synth;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.gguf.GgufArray;
import dev.infera.core.gguf.GgufValue;
import dev.infera.core.gguf.GgufValueType;
import dev.infera.core.quant.Quantize;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The plan of a synthetic-weight model: which tensors, in which order, with which GGML type and
 * initial values, and the metadata that describes them, all following llama.cpp's conventions so
 * llama.cpp and other GGUF readers load the file as a regular Llama or Qwen2 model.
 *
 * <p>Conventions: standard tensor names ({@code token_embd}, {@code blk.N.attn_q}, ...,
 * {@code output_norm}, {@code output} only when the embeddings are not tied) and GGML shapes
 * ({@code [in, out]}). Two-dimensional weights, the token embedding included, take the requested type;
 * a matrix whose row length is not a whole number of that type's blocks falls back as llama.cpp's
 * quantizer does (K types to a 32-block type, 32-block types to F16). Norm weights and biases stay F32.
 * Matrices and biases are drawn from N(0, 0.02), norm weights are 1.
 */
public final class SynthModel {

    /** Standard deviation of matrix and bias values. */
    public static final float WEIGHT_STD = 0.02f;

    /**
     * One planned tensor. {@code std == 0} means every element is {@code mean}.
     *
     * @param shape GGML order, fastest-varying first
     */
    public record Tensor(String name, GgmlType type, long[] shape, float mean, float std) {
        public long numElements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        public long byteSize() {
            return type.byteSize(numElements());
        }
    }

    private final SynthPreset preset;
    private final GgmlType dtype;
    private final List<Tensor> tensors;

    public SynthModel(SynthPreset preset, GgmlType dtype) {
        this.preset = Objects.requireNonNull(preset, "preset");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        fileType(dtype);
        if (!Quantize.supports(dtype)) {
            throw new IllegalArgumentException("cannot write tensors of type " + dtype);
        }
        this.tensors = Collections.unmodifiableList(plan());
    }

    public SynthPreset preset() {
        return preset;
    }

    public GgmlType dtype() {
        return dtype;
    }

    /** Tensors in file order. */
    public List<Tensor> tensors() {
        return tensors;
    }

    public long totalParameters() {
        return tensors.stream().mapToLong(Tensor::numElements).sum();
    }

    private List<Tensor> plan() {
        int dim = preset.embeddingLength();
        int kvDim = preset.kvDim();
        int ffn = preset.feedForwardLength();
        List<Tensor> list = new ArrayList<>();
        list.add(matrix("token_embd.weight", dim, preset.vocabSize()));
        for (int l = 0; l < preset.numLayers(); l++) {
            String p = "blk." + l + ".";
            list.add(norm(p + "attn_norm.weight", dim));
            list.add(matrix(p + "attn_q.weight", dim, dim));
            if (preset.qkvBias()) {
                list.add(bias(p + "attn_q.bias", dim));
            }
            list.add(matrix(p + "attn_k.weight", dim, kvDim));
            if (preset.qkvBias()) {
                list.add(bias(p + "attn_k.bias", kvDim));
            }
            list.add(matrix(p + "attn_v.weight", dim, kvDim));
            if (preset.qkvBias()) {
                list.add(bias(p + "attn_v.bias", kvDim));
            }
            list.add(matrix(p + "attn_output.weight", dim, dim));
            list.add(norm(p + "ffn_norm.weight", dim));
            list.add(matrix(p + "ffn_gate.weight", dim, ffn));
            list.add(matrix(p + "ffn_up.weight", dim, ffn));
            list.add(matrix(p + "ffn_down.weight", ffn, dim));
        }
        list.add(norm("output_norm.weight", dim));
        if (!preset.tiedEmbeddings()) {
            list.add(matrix("output.weight", dim, preset.vocabSize()));
        }
        return list;
    }

    private Tensor matrix(String name, int in, int out) {
        return new Tensor(name, matrixType(dtype, in), new long[] {in, out}, 0f, WEIGHT_STD);
    }

    private static Tensor norm(String name, int n) {
        return new Tensor(name, GgmlType.F32, new long[] {n}, 1f, 0f);
    }

    private static Tensor bias(String name, int n) {
        return new Tensor(name, GgmlType.F32, new long[] {n}, 0f, WEIGHT_STD);
    }

    /** The type a matrix with rows of {@code rowLength} gets when {@code dtype} is requested. */
    static GgmlType matrixType(GgmlType dtype, long rowLength) {
        GgmlType t = dtype;
        if (rowLength % t.blockSize() != 0) {
            t = switch (t) {
                case Q4_K -> GgmlType.Q5_0;
                case Q5_K -> GgmlType.Q5_1;
                case Q6_K -> GgmlType.Q8_0;
                default -> t;
            };
        }
        return rowLength % t.blockSize() == 0 ? t : GgmlType.F16;
    }

    /** llama.cpp's {@code general.file_type} for a model whose matrices are mostly {@code dtype}. */
    static int fileType(GgmlType dtype) {
        return switch (dtype) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case Q4_K -> 15;
            case Q5_K -> 17;
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("synthetic models cannot use tensor type " + dtype
                    + " (supported: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k)");
        };
    }

    /**
     * The model's metadata in llama.cpp's key names, followed by {@code tokenizerMetadata} (the
     * {@code tokenizer.*} keys, whose token count must equal the preset's vocabulary size).
     */
    public Map<String, GgufValue> metadata(Map<String, GgufValue> tokenizerMetadata) {
        String a = preset.architecture();
        Map<String, GgufValue> md = new LinkedHashMap<>();
        md.put("general.architecture", GgufValue.ofString(a));
        md.put("general.name", GgufValue.ofString("synthetic " + preset.name()));
        md.put("general.file_type", GgufValue.ofUInt32(fileType(dtype)));
        if (dtype.isQuantized()) {
            md.put("general.quantization_version", GgufValue.ofUInt32(2));
        }
        md.put(a + ".vocab_size", GgufValue.ofUInt32(preset.vocabSize()));
        md.put(a + ".context_length", GgufValue.ofUInt32(preset.contextLength()));
        md.put(a + ".embedding_length", GgufValue.ofUInt32(preset.embeddingLength()));
        md.put(a + ".block_count", GgufValue.ofUInt32(preset.numLayers()));
        md.put(a + ".feed_forward_length", GgufValue.ofUInt32(preset.feedForwardLength()));
        md.put(a + ".attention.head_count", GgufValue.ofUInt32(preset.numHeads()));
        md.put(a + ".attention.head_count_kv", GgufValue.ofUInt32(preset.numKvHeads()));
        md.put(a + ".attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(preset.rmsNormEps()));
        md.put(a + ".rope.freq_base", GgufValue.ofFloat32(preset.ropeTheta()));
        md.put(a + ".rope.dimension_count", GgufValue.ofUInt32(preset.headDim()));
        GgufValue tokens = tokenizerMetadata.get("tokenizer.ggml.tokens");
        if (tokens == null || tokens.type() != GgufValueType.ARRAY) {
            throw new IllegalArgumentException("tokenizer metadata has no 'tokenizer.ggml.tokens' array");
        }
        int count = ((GgufArray) tokens.value()).length();
        if (count != preset.vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + count + " tokens, but preset " + preset.name()
                    + " has a vocabulary of " + preset.vocabSize());
        }
        tokenizerMetadata.forEach((k, v) -> {
            if (!k.startsWith("tokenizer.")) {
                throw new IllegalArgumentException("tokenizer metadata key '" + k + "' is not a tokenizer.* key");
            }
            md.put(k, v);
        });
        return md;
    }
}
