package dev.infera.cuda;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelTensor;
import dev.infera.core.model.ModelWeights;
import dev.infera.core.model.TensorSource;
import dev.infera.core.quant.Quantize;
import dev.infera.core.testing.SyntheticModel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** Seeded random models whose matrices are re-encoded into chosen GGML types (norms and biases stay F32). */
public final class TestModels {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestModels() {
    }

    /** A random model whose matrix {@code name} is stored as {@code typeOf.apply(name)}. */
    public static ModelWeights weights(ModelConfig c, long seed, boolean tiedOutput, Function<String, GgmlType> typeOf) {
        Map<String, ModelTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, ModelTensor> e : SyntheticModel.tensors(c, seed, tiedOutput).entrySet()) {
            ModelTensor t = e.getValue();
            boolean matrix = t.shape().length == 2;
            tensors.put(e.getKey(), matrix ? encode(t, typeOf.apply(e.getKey())) : t);
        }
        return ModelWeights.load(c, TensorSource.of(tensors));
    }

    /** A random model with every matrix in one type. */
    public static ModelWeights weights(ModelConfig c, long seed, boolean tiedOutput, GgmlType matrixType) {
        return weights(c, seed, tiedOutput, name -> matrixType);
    }

    /** An F32 tensor re-encoded as {@code type}. */
    public static ModelTensor encode(ModelTensor f32, GgmlType type) {
        if (type == GgmlType.F32) {
            return f32;
        }
        int n = Math.toIntExact(f32.numElements());
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = f32.data().getAtIndex(F32_LE, i);
        }
        MemorySegment data = Arena.ofAuto().allocate(type.byteSize(n), 64);
        Quantize.row(type, values, 0, n, data, 0);
        return new ModelTensor(f32.name(), type, f32.shape(), data);
    }
}
