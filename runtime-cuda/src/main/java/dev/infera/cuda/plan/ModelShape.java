package dev.infera.cuda.plan;

import dev.infera.api.KvCacheType;
import dev.infera.core.gguf.GgmlType;
import dev.infera.core.model.LayerWeights;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelWeights;
import dev.infera.core.model.RopeType;
import java.util.ArrayList;
import java.util.List;

/**
 * What the planner needs to know about a model on the device: its dimensions and the device format of
 * every matrix. Q/K/V and gate/up are fused into one matrix each; a fused matrix keeps its parts' type
 * when they share one the device supports, and is converted on upload otherwise (to F32 if any part is
 * F32, else BF16). The KV cache is F32 when every layer matrix is F32, else BF16.
 */
public record ModelShape(int dim, int numLayers, int numHeads, int numKvHeads, int headDim, int ffn, int vocab,
        int ropeDim, boolean neox, float rmsNormEps, boolean qkvBias, WeightFormat embedding, WeightFormat output,
        boolean outputTied, List<LayerFormats> layers, KvType kvType) {

    /** The device formats of one layer's matrices. */
    public record LayerFormats(WeightFormat qkv, WeightFormat wo, WeightFormat gateUp, WeightFormat down) {
    }

    public ModelShape {
        if (layers.size() != numLayers) {
            throw new IllegalArgumentException(numLayers + " layers but " + layers.size() + " layer formats");
        }
        layers = List.copyOf(layers);
    }

    /** The shape of a checked model, with the KV cache type the backend picks for it. */
    public static ModelShape of(ModelWeights weights) {
        return of(weights, KvCacheType.AUTO);
    }

    /**
     * The shape of a checked model with its KV cache in {@code requested}: the device kernels keep F32
     * K/V for models whose matrices are all F32 and BF16 for every other model, so a request for
     * another type (F16 anywhere, F32 for a quantized model, BF16 for an all-F32 one) is refused.
     *
     * @throws IllegalArgumentException naming the type this model's cache is kept in
     */
    public static ModelShape of(ModelWeights weights, KvCacheType requested) {
        ModelConfig c = weights.config();
        List<LayerFormats> layers = new ArrayList<>();
        boolean allF32 = true;
        for (LayerWeights l : weights.layers()) {
            LayerFormats f = new LayerFormats(fused(l.wq().type(), l.wk().type(), l.wv().type()),
                    WeightFormat.of(l.wo().type()), fused(l.ffnGate().type(), l.ffnUp().type()),
                    WeightFormat.of(l.ffnDown().type()));
            allF32 &= f.qkv() == WeightFormat.F32 && f.wo() == WeightFormat.F32 && f.gateUp() == WeightFormat.F32
                    && f.down() == WeightFormat.F32;
            layers.add(f);
        }
        WeightFormat embedding = WeightFormat.of(weights.tokenEmbedding().type());
        WeightFormat output = weights.outputTied() ? embedding : WeightFormat.of(weights.output().type());
        return new ModelShape(c.embeddingLength(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(),
                c.feedForwardLength(), c.vocabSize(), c.ropeDim(), c.ropeType() == RopeType.NEOX, c.rmsNormEps(),
                weights.layer(0).hasQkvBias(), embedding, output, weights.outputTied(), layers,
                kvType(allF32, requested));
    }

    private static KvType kvType(boolean allF32, KvCacheType requested) {
        KvType kind = allF32 ? KvType.F32 : KvType.BF16;
        // Exhaustive on purpose: a new API cache type must be given its device type (or none) here.
        KvType asked = switch (requested) {
            case AUTO -> kind;
            case F32 -> KvType.F32;
            case BF16 -> KvType.BF16;
            case F16 -> null;
        };
        if (asked != kind) {
            throw new IllegalArgumentException("the cuda backend keeps this model's KV cache in " + kind + " ("
                    + (allF32 ? "its matrices are all F32" : "F32 only for models whose matrices are all F32")
                    + "); " + requested + " was asked for");
        }
        return kind;
    }

    /** The device format of a matrix fused from parts of these types. */
    public static WeightFormat fused(GgmlType... types) {
        boolean same = true;
        boolean anyF32 = false;
        for (GgmlType t : types) {
            same &= t == types[0];
            anyF32 |= t == GgmlType.F32;
        }
        WeightFormat f = WeightFormat.of(types[0]);
        if (same && f.ggmlType() == types[0]) {
            return f;
        }
        return anyF32 ? WeightFormat.F32 : WeightFormat.BF16;
    }

    public int queryDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    /** Output rows of the fused QKV matrix, the row width of the QKV buffer. */
    public int qkvRows() {
        return queryDim() + 2 * kvDim();
    }

    public int headsPerKvHead() {
        return numHeads / numKvHeads;
    }

    /** The widest input of any matrix (the row width of the GEMM input buffer). */
    public int maxCols() {
        return Math.max(dim, Math.max(queryDim(), ffn));
    }

    /** Every (rows, cols, format) matrix of the model, for scratch sizing. */
    List<int[]> quantizedMatrixShapes() {
        List<int[]> out = new ArrayList<>();
        for (LayerFormats f : layers) {
            addIfQuantized(out, f.qkv(), qkvRows(), dim);
            addIfQuantized(out, f.wo(), dim, queryDim());
            addIfQuantized(out, f.gateUp(), 2 * ffn, dim);
            addIfQuantized(out, f.down(), dim, ffn);
        }
        addIfQuantized(out, output, vocab, dim);
        return out;
    }

    private static void addIfQuantized(List<int[]> out, WeightFormat f, int rows, int cols) {
        if (f.isQuantized()) {
            out.add(new int[] {rows, cols});
        }
    }

    /** Whether any GEMM takes 16-bit activations (a non-F32 matrix). */
    boolean hasHalfPrecisionMatrix() {
        if (output != WeightFormat.F32) {
            return true;
        }
        for (LayerFormats f : layers) {
            if (f.qkv() != WeightFormat.F32 || f.wo() != WeightFormat.F32 || f.gateUp() != WeightFormat.F32
                    || f.down() != WeightFormat.F32) {
                return true;
            }
        }
        return false;
    }
}
