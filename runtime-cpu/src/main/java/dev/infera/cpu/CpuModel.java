package dev.infera.cpu;

import dev.infera.core.model.LayerWeights;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.ModelTensor;
import dev.infera.core.model.ModelWeights;
import dev.infera.cpu.kernels.WeightMatrix;
import java.lang.foreign.MemorySegment;
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

    CpuModel(ModelWeights weights) {
        this.config = weights.config();
        this.memory = new WeightMemory(copiedBytes(weights));
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
    private static long copiedBytes(ModelWeights weights) {
        LongStream.Builder sizes = LongStream.builder();
        sizes.add(weights.tokenEmbedding().data().byteSize());
        if (!weights.outputTied()) {
            sizes.add(weights.output().data().byteSize());
        }
        for (int l = 0; l < weights.config().numLayers(); l++) {
            LayerWeights w = weights.layer(l);
            Stream.of(w.wq(), w.wk(), w.wv(), w.wo(), w.ffnGate(), w.ffnUp(), w.ffnDown())
                    .forEach(t -> sizes.add(t.data().byteSize()));
        }
        return WeightMemory.bytesFor(sizes.build().toArray());
    }

    private WeightMatrix copy(WeightMatrix m) {
        MemorySegment dst = memory.take(m.byteSize());
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
            // is a multiple of 64 (the last part's size does not matter).
            joinable &= part.type() == parts[0].type() && part.cols() == parts[0].cols()
                    && (i == parts.length - 1 || part.byteSize() % 64 == 0);
            rows = Math.addExact(rows, part.rows());
        }
        for (int i = 0; i < parts.length; i++) {
            out[i] = copy(parts[i]);
        }
        if (joinable) {
            MemorySegment whole = memory.span(out[0].data(), out[parts.length - 1].data());
            out[parts.length] = new WeightMatrix(parts[0].type(), whole, rows, parts[0].cols());
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
