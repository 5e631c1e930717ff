package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.backend.BackendContext;
import dev.infera.core.gguf.GgmlType;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelTensor;
import dev.infera.core.model.ModelWeights;
import dev.infera.core.model.TensorSource;
import dev.infera.core.quant.Quantize;
import dev.infera.core.testing.PagedSequences;
import dev.infera.core.testing.SyntheticModel;
import dev.infera.cpu.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The CPU model joins Q/K/V and gate/up into stacked matrices when their types match, and keeps them
 * apart when they do not. Both layouts, also mixed within one model, must compute what the scalar
 * reference computes.
 */
class JoinedMatricesTest {

    @Test
    void matchingTypesAreJoinedAndDifferingTypesStayApart() {
        ModelConfig config = SyntheticModel.smollm2Like(2, 256, 128);
        ModelWeights weights = mixedTypes(config);
        try (CpuModel model = new CpuModel(weights)) {
            CpuModel.Layer joined = model.layers[0];
            assertThat(joined.qkv()).isNotNull();
            assertThat(joined.qkv().rows()).isEqualTo(config.queryDim() + 2 * config.kvDim());
            assertThat(joined.gateUp()).isNotNull();
            assertThat(joined.gateUp().rows()).isEqualTo(2 * config.feedForwardLength());
            CpuModel.Layer apart = model.layers[1];
            assertThat(apart.qkv()).isNull();
            assertThat(apart.gateUp()).isNull();
        }
    }

    @Test
    void joinedAndSeparateLayersMatchTheScalarReference() {
        ModelConfig config = SyntheticModel.smollm2Like(2, 256, 128);
        ModelWeights weights = mixedTypes(config);
        Random rnd = new Random(7);
        try (CpuBackend fast = CpuBackend.create(new BackendContext(weights, 2));
                CpuBackend reference = CpuBackend.scalarReference(weights)) {
            PagedSequences fastSeqs = new PagedSequences(fast, 16, 8, 1);
            PagedSequences refSeqs = new PagedSequences(reference, 16, 8, 2);
            for (int p = 0; p < 3; p++) {
                int[] prompt = new int[2 + rnd.nextInt(10)];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = rnd.nextInt(config.vocabSize());
                }
                int fastSeq = fastSeqs.newSequence();
                int refSeq = refSeqs.newSequence();
                float[] a = fastSeqs.step(fastSeq, prompt);
                float[] b = refSeqs.step(refSeq, prompt);
                for (int step = 0; step < 3; step++) {
                    assertThat(PagedSequences.relativeError(a, b)).as("prompt %d step %d", p, step)
                            .isLessThanOrEqualTo(1e-4);
                    int next = PagedSequences.argmax(b);
                    a = fastSeqs.step(fastSeq, next);
                    b = refSeqs.step(refSeq, next);
                }
            }
        }
    }

    /**
     * Q8_0 and Q4_0 stored in 16-row groups (what the 16-lane product asks for) join Q/K/V and gate/up
     * as the row layout does, and the whole model still computes what the scalar reference computes.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0"})
    void rowGroupsAreJoinedAndMatchTheScalarReference(GgmlType type) {
        ModelConfig config = SyntheticModel.smollm2Like(2, 256, 128);
        Map<String, ModelTensor> tensors = SyntheticModel.tensors(config, 98, true);
        for (Map.Entry<String, ModelTensor> e : tensors.entrySet()) {
            ModelTensor t = e.getValue();
            if (e.getKey().startsWith("blk.") && t.shape().length == 2) {
                byte[] bytes = Quantize.toBytes(type, t.toFloatArray());
                MemorySegment data = Arena.ofAuto().allocate(bytes.length, 64);
                MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, 0, bytes.length);
                e.setValue(new ModelTensor(e.getKey(), type, t.shape(), data));
            }
        }
        ModelWeights weights = ModelWeights.load(config, TensorSource.of(tensors));
        try (CpuModel model = new CpuModel(weights, t -> t == type
                ? WeightMatrix.Layout.ROW_GROUPS : WeightMatrix.Layout.ROWS)) {
            CpuModel.Layer layer = model.layers[0];
            assertThat(layer.qkv()).isNotNull();
            assertThat(layer.qkv().layout()).isEqualTo(WeightMatrix.Layout.ROW_GROUPS);
            assertThat(layer.gateUp().layout()).isEqualTo(WeightMatrix.Layout.ROW_GROUPS);
            float[] joined = new float[config.embeddingLength()];
            float[] part = new float[config.embeddingLength()];
            layer.qkv().dequantizeRow(config.queryDim() + config.kvDim() + 1, joined, 0);
            layer.wv().dequantizeRow(1, part, 0);
            assertThat(joined).containsExactly(part);
        }
        Random rnd = new Random(8);
        try (CpuBackend fast = CpuBackend.create(new BackendContext(weights, 2));
                CpuBackend reference = CpuBackend.scalarReference(weights)) {
            // Each backend stores the weights as its own matrix product asks: Q8_0 and Q4_0 groups for 16 lanes.
            WeightMatrix.Layout expected = FloatVector.SPECIES_PREFERRED.length() == 16
                    && (type == GgmlType.Q8_0 || type == GgmlType.Q4_0)
                    ? WeightMatrix.Layout.ROW_GROUPS : WeightMatrix.Layout.ROWS;
            assertThat(fast.model().layers[0].qkv().layout()).isEqualTo(expected);
            assertThat(fast.model().layers[1].down().layout()).isEqualTo(expected);
            assertThat(reference.model().layers[0].qkv().layout()).isEqualTo(WeightMatrix.Layout.ROWS);
            PagedSequences fastSeqs = new PagedSequences(fast, 16, 8, 1);
            PagedSequences refSeqs = new PagedSequences(reference, 16, 8, 2);
            int[] prompt = new int[9];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = rnd.nextInt(config.vocabSize());
            }
            float[] a = fastSeqs.step(fastSeqs.newSequence(), prompt);
            float[] b = refSeqs.step(refSeqs.newSequence(), prompt);
            assertThat(PagedSequences.relativeError(a, b)).isLessThanOrEqualTo(1e-4);
        }
    }

    /** Layer 0 all F32; layer 1 with V and the up projection in F16, as some quantizers leave them. */
    private static ModelWeights mixedTypes(ModelConfig config) {
        Map<String, ModelTensor> tensors = SyntheticModel.tensors(config, 99, true);
        for (String name : new String[] {"blk.1.attn_v.weight", "blk.1.ffn_up.weight"}) {
            ModelTensor t = tensors.get(name);
            byte[] bytes = Quantize.toBytes(GgmlType.F16, t.toFloatArray());
            MemorySegment data = Arena.ofAuto().allocate(bytes.length, 64);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, 0, bytes.length);
            tensors.put(name, new ModelTensor(name, GgmlType.F16, t.shape(), data));
        }
        return ModelWeights.load(config, TensorSource.of(tensors));
    }
}
