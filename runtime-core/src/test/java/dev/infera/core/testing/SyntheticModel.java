package dev.infera.core.testing;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.model.ModelArchitecture;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelTensor;
import dev.infera.core.model.ModelWeights;
import dev.infera.core.model.RopeScaling;
import dev.infera.core.model.TensorSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Seeded random F32 models for tests: every matrix and bias drawn from N(0, 0.02), norm weights from
 * N(1, 0.1), so activations stay in a realistic range. Tensors live in an automatic arena and use the
 * standard GGUF names and shapes, so they go through {@link ModelWeights#load} like a file's would.
 */
public final class SyntheticModel {

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SyntheticModel() {
    }

    /** SmolLM2-135M's attention layout (9 heads, 3 KV heads, head dim 64, width 576), smaller elsewhere. */
    public static ModelConfig smollm2Like(int numLayers, int ffn, int vocab) {
        return new ModelConfig(ModelArchitecture.LLAMA, 576, numLayers, 9, 3, 64, ffn, vocab, 1e-5f, 100000f, 64,
                RopeScaling.NONE, 2048);
    }

    /** Qwen2.5-0.5B's attention layout (14 heads, 2 KV heads, head dim 64, width 896, Q/K/V bias). */
    public static ModelConfig qwen25Like(int numLayers, int ffn, int vocab) {
        return new ModelConfig(ModelArchitecture.QWEN2, 896, numLayers, 14, 2, 64, ffn, vocab, 1e-6f, 1000000f, 64,
                RopeScaling.NONE, 4096);
    }

    /** All tensors of a random model with this configuration. */
    public static Map<String, ModelTensor> tensors(ModelConfig c, long seed, boolean tiedOutput) {
        Random rnd = new Random(seed);
        Map<String, ModelTensor> t = new LinkedHashMap<>();
        int dim = c.embeddingLength();
        put(t, rnd, "token_embd.weight", 0f, 0.02f, dim, c.vocabSize());
        put(t, rnd, "output_norm.weight", 1f, 0.1f, dim);
        if (!tiedOutput) {
            put(t, rnd, "output.weight", 0f, 0.02f, dim, c.vocabSize());
        }
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "blk." + l + ".";
            put(t, rnd, p + "attn_norm.weight", 1f, 0.1f, dim);
            put(t, rnd, p + "attn_q.weight", 0f, 0.02f, dim, c.queryDim());
            put(t, rnd, p + "attn_k.weight", 0f, 0.02f, dim, c.kvDim());
            put(t, rnd, p + "attn_v.weight", 0f, 0.02f, dim, c.kvDim());
            put(t, rnd, p + "attn_output.weight", 0f, 0.02f, c.queryDim(), dim);
            if (c.architecture().hasQkvBias()) {
                put(t, rnd, p + "attn_q.bias", 0f, 0.02f, c.queryDim());
                put(t, rnd, p + "attn_k.bias", 0f, 0.02f, c.kvDim());
                put(t, rnd, p + "attn_v.bias", 0f, 0.02f, c.kvDim());
            }
            put(t, rnd, p + "ffn_norm.weight", 1f, 0.1f, dim);
            put(t, rnd, p + "ffn_gate.weight", 0f, 0.02f, dim, c.feedForwardLength());
            put(t, rnd, p + "ffn_up.weight", 0f, 0.02f, dim, c.feedForwardLength());
            put(t, rnd, p + "ffn_down.weight", 0f, 0.02f, c.feedForwardLength(), dim);
        }
        return t;
    }

    /** A checked random model. */
    public static ModelWeights weights(ModelConfig c, long seed, boolean tiedOutput) {
        return ModelWeights.load(c, TensorSource.of(tensors(c, seed, tiedOutput)));
    }

    /** An F32 tensor with the given GGML-order shape filled with N(mean, std) values. */
    public static ModelTensor f32(String name, Random rnd, float mean, float std, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        MemorySegment data = Arena.ofAuto().allocate(n * Float.BYTES, 64);
        for (long i = 0; i < n; i++) {
            data.setAtIndex(F32_LE, i, mean + std * (float) rnd.nextGaussian());
        }
        return new ModelTensor(name, GgmlType.F32, shape, data);
    }

    private static void put(Map<String, ModelTensor> t, Random rnd, String name, float mean, float std, long... shape) {
        t.put(name, f32(name, rnd, mean, std, shape));
    }
}
