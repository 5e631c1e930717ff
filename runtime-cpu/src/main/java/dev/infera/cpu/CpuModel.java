package dev.infera.cpu;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.model.LayerWeights;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelTensor;
import dev.infera.core.model.ModelWeights;
import dev.infera.cpu.kernels.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.util.function.Function;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * A model's weights in the form the CPU kernels take: every matrix copied once out of the
 * memory-mapped file into one native region owned by this object ({@link WeightMemory}: one segment
 * kind for the kernels, huge pages where the OS gives them), norm weights and biases as small float
 * arrays, the RoPE inverse frequencies precomputed.
 *
 * <p>Matrices that read the same input are also joined: Q, K and V (all three multiply the normed
 * layer input) and the FFN gate and up projections. A GGML matrix is a sequence of independent rows,
 * so matrices of one type and width copied back to back are one stacked matrix, and one product
 * with it computes all of them. Decoding one token then runs 4 parallel matrix products per layer
 * instead of 7; each is larger, so the worker pool's hand-offs and the per-call set-up are paid less
 * often and the work splits more evenly. The parts stay reachable as views of the same bytes.
 * Matrices of different types (a quantizer may keep V in a wider type) are not joined.
 *
 * <p>Each matrix is copied in the layout the matrix product asks for its type
 * ({@link dev.infera.cpu.kernels.MatMul#preferredLayout}): Q8_0 and Q4_0 in 16-row groups for the
 * 16-lane kernels, GGML's row layout otherwise. Parts are joined only when every part but the last ends on
 * a whole group of its layout ({@link WeightMatrix.Layout#rowsPerGroup}), so no padding rows sit
 * inside a joined matrix.
 */
final class CpuModel implements AutoCloseable {

    /**
     * One layer. {@code qkv} (rows: queries, then keys, then values) and {@code gateUp} (gate rows,
     * then up rows) are the joined matrices, or {@code null} when the parts' types or widths differ;
     * {@code wq}/{@code wk}/{@code wv} and {@code gate}/{@code up} are always set (views of the joined
     * bytes when joined).
     */
    record Layer(float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix qkv,
            WeightMatrix wo, float[] bq, float[] bk, float[] bv, float[] ffnNorm, WeightMatrix gate,
            WeightMatrix up, WeightMatrix gateUp, WeightMatrix down) {
    }

    final ModelConfig config;
    final WeightMatrix tokenEmbedding;
    final float[] outputNorm;
    final WeightMatrix output;
    final Layer[] layers;
    final float[] ropeInverseFrequencies;
    private final WeightMemory memory;
    private final Function<GgmlType, WeightMatrix.Layout> layouts;

    /** The weights in GGML's row layout. */
    CpuModel(ModelWeights weights) {
        this(weights, type -> WeightMatrix.Layout.ROWS);
    }

    /** The weights, each matrix in the layout {@code layouts} gives for its type (a kernel's preference). */
    CpuModel(ModelWeights weights, Function<GgmlType, WeightMatrix.Layout> layouts) {
        this.config = weights.config();
        this.layouts = layouts;
        this.memory = new WeightMemory(copiedBytes(weights, layouts));
        try {
            this.tokenEmbedding = copy(mapped(weights.tokenEmbedding()));
            this.outputNorm = weights.outputNorm().toFloatArray();
            this.output = weights.outputTied() ? tokenEmbedding : copy(mapped(weights.output()));
            this.layers = new Layer[config.numLayers()];
            for (int l = 0; l < layers.length; l++) {
                LayerWeights w = weights.layer(l);
                WeightMatrix[] qkv = copyStacked(mapped(w.wq()), mapped(w.wk()), mapped(w.wv()));
                WeightMatrix wo = copy(mapped(w.wo()));
                WeightMatrix[] gateUp = copyStacked(mapped(w.ffnGate()), mapped(w.ffnUp()));
                layers[l] = new Layer(w.attnNorm().toFloatArray(), qkv[0], qkv[1], qkv[2], qkv[3], wo,
                        vector(w.bq()), vector(w.bk()), vector(w.bv()), w.ffnNorm().toFloatArray(), gateUp[0],
                        gateUp[1], gateUp[2], copy(mapped(w.ffnDown())));
            }
            this.ropeInverseFrequencies = weights.ropeInverseFrequencies();
        } catch (RuntimeException | Error e) {
            memory.close();
            throw e;
        }
    }

    /** Whether the weights sit in transparent huge pages (see {@link WeightMemory}). */
    boolean hugePages() {
        return memory.hugePages();
    }

    /** Frees the weight copies. The model must not be used afterwards. */
    @Override
    public void close() {
        memory.close();
    }

    /** Room for every matrix the constructor copies, in its order (alignment padding included). */
    private static long copiedBytes(ModelWeights weights, Function<GgmlType, WeightMatrix.Layout> layouts) {
        LongStream.Builder sizes = LongStream.builder();
        sizes.add(copiedBytes(mapped(weights.tokenEmbedding()), layouts));
        if (!weights.outputTied()) {
            sizes.add(copiedBytes(mapped(weights.output()), layouts));
        }
        for (int l = 0; l < weights.config().numLayers(); l++) {
            LayerWeights w = weights.layer(l);
            Stream.of(w.wq(), w.wk(), w.wv(), w.wo(), w.ffnGate(), w.ffnUp(), w.ffnDown())
                    .forEach(t -> sizes.add(copiedBytes(mapped(t), layouts)));
        }
        return WeightMemory.bytesFor(sizes.build().toArray());
    }

    /** Bytes the copy of {@code m} (row layout, from the file) takes in the layout chosen for its type. */
    private static long copiedBytes(WeightMatrix m, Function<GgmlType, WeightMatrix.Layout> layouts) {
        return WeightMatrix.byteSize(m.type(), m.rows(), m.cols(), layouts.apply(m.type()));
    }

    /** A copy of {@code m} (row layout, from the file) in the layout chosen for its type. */
    private WeightMatrix copy(WeightMatrix m) {
        MemorySegment dst = memory.take(copiedBytes(m, layouts));
        if (layouts.apply(m.type()) == WeightMatrix.Layout.ROW_GROUPS) {
            return m.regroupedInto(dst);
        }
        MemorySegment.copy(m.data(), 0, dst, 0, m.byteSize());
        return new WeightMatrix(m.type(), dst, m.rows(), m.cols());
    }

    /**
     * Copies the parts one after another; returns the parts' copies followed by the joined matrix over
     * all of them, or {@code null} in its place when their types or widths differ.
     */
    private WeightMatrix[] copyStacked(WeightMatrix... parts) {
        WeightMatrix[] out = new WeightMatrix[parts.length + 1];
        boolean joinable = true;
        int rows = 0;
        for (int i = 0; i < parts.length; i++) {
            WeightMatrix part = parts[i];
            // Copies are 64-byte aligned: a part is followed directly by the next only when its size
            // is a multiple of 64 and it ends on a whole group of its layout (the last part may end
            // anywhere).
            WeightMatrix.Layout layout = layouts.apply(part.type());
            joinable &= part.type() == parts[0].type() && part.cols() == parts[0].cols()
                    && (i == parts.length - 1 || copiedBytes(part, layouts) % 64 == 0
                            && part.rows() % layout.rowsPerGroup() == 0);
            rows = Math.addExact(rows, part.rows());
        }
        for (int i = 0; i < parts.length; i++) {
            out[i] = copy(parts[i]);
        }
        if (joinable) {
            MemorySegment whole = memory.span(out[0].data(), out[parts.length - 1].data());
            out[parts.length] = new WeightMatrix(parts[0].type(), whole, rows, parts[0].cols(), out[0].layout());
        }
        return out;
    }

    private static WeightMatrix mapped(ModelTensor t) {
        return new WeightMatrix(t.type(), t.data(), Math.toIntExact(t.dim(1)), Math.toIntExact(t.dim(0)));
    }

    private static float[] vector(ModelTensor t) {
        return t == null ? null : t.toFloatArray();
    }
}
