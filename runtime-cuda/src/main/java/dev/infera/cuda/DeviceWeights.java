package dev.infera.cuda;

import dev.infera.core.model.LayerWeights;
import dev.infera.core.model.ModelTensor;
import dev.infera.core.model.ModelWeights;
import dev.infera.cuda.plan.ModelShape;
import dev.infera.cuda.plan.WeightFormat;
import dev.infera.cuda.plan.WeightKind;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's weights on the device, uploaded once: every matrix in the format {@link ModelShape} chose
 * (Q/K/V and gate/up fused row-wise into one matrix each), norm weights and biases as F32, and the
 * RoPE inverse frequencies. A tied output matrix is the embedding's allocation. {@link #close()} frees
 * everything.
 */
final class DeviceWeights implements AutoCloseable {

    private final Gpu gpu;
    private final List<Long> allocations = new ArrayList<>();
    /** [layer + 1][kind][0 = data, 1 = scales]; row 0 holds the model-level kinds. */
    private final long[][][] pointers;
    private long totalBytes;

    private DeviceWeights(Gpu gpu, int numLayers) {
        this.gpu = gpu;
        this.pointers = new long[numLayers + 1][WeightKind.values().length][2];
    }

    /** Uploads the weights (the caller's context must be current). */
    static DeviceWeights upload(Gpu gpu, ModelWeights w, ModelShape shape) {
        DeviceWeights d = new DeviceWeights(gpu, shape.numLayers());
        try {
            d.matrix(-1, WeightKind.EMBEDDING, shape.embedding(), List.of(w.tokenEmbedding()));
            if (w.outputTied()) {
                d.pointers[0][WeightKind.OUTPUT.ordinal()] = d.pointers[0][WeightKind.EMBEDDING.ordinal()].clone();
            } else {
                d.matrix(-1, WeightKind.OUTPUT, shape.output(), List.of(w.output()));
            }
            d.floats(-1, WeightKind.OUTPUT_NORM, w.outputNorm().toFloatArray());
            d.floats(-1, WeightKind.ROPE_INV_FREQ, w.ropeInverseFrequencies());
            for (int l = 0; l < shape.numLayers(); l++) {
                LayerWeights lw = w.layer(l);
                ModelShape.LayerFormats f = shape.layers().get(l);
                d.floats(l, WeightKind.ATTN_NORM, lw.attnNorm().toFloatArray());
                d.floats(l, WeightKind.FFN_NORM, lw.ffnNorm().toFloatArray());
                d.matrix(l, WeightKind.QKV, f.qkv(), List.of(lw.wq(), lw.wk(), lw.wv()));
                if (lw.hasQkvBias()) {
                    d.floats(l, WeightKind.QKV_BIAS, concat(lw.bq().toFloatArray(), lw.bk().toFloatArray(),
                            lw.bv().toFloatArray()));
                }
                d.matrix(l, WeightKind.WO, f.wo(), List.of(lw.wo()));
                d.matrix(l, WeightKind.GATE_UP, f.gateUp(), List.of(lw.ffnGate(), lw.ffnUp()));
                d.matrix(l, WeightKind.DOWN, f.down(), List.of(lw.ffnDown()));
            }
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** The device address of a weight (its scales when {@code scales}); layer -1 for model-level kinds. */
    long pointer(int layer, WeightKind kind, boolean scales) {
        long p = pointers[layer + 1][kind.ordinal()][scales ? 1 : 0];
        if (p == 0) {
            throw new IllegalStateException("no device weight " + kind + (scales ? " scales" : "") + " for layer " + layer);
        }
        return p;
    }

    /** Device bytes the weights take. */
    long totalBytes() {
        return totalBytes;
    }

    private long allocate(long bytes) {
        long p = gpu.malloc(bytes);
        allocations.add(p);
        totalBytes += bytes;
        return p;
    }

    private void floats(int layer, WeightKind kind, float[] values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values);
            long p = allocate(host.byteSize());
            gpu.copyToDevice(p, host, host.byteSize());
            pointers[layer + 1][kind.ordinal()][0] = p;
        }
    }

    /** Uploads parts stacked row-wise (same column count) as one matrix in {@code format}. */
    private void matrix(int layer, WeightKind kind, WeightFormat format, List<ModelTensor> parts) {
        int cols = HostMatrices.cols(parts.getFirst());
        long rows = 0;
        for (ModelTensor t : parts) {
            rows += HostMatrices.rows(t);
        }
        long base = allocate(format.deviceBytes(rows, cols));
        long scalesBase = base + format.scalesOffset(rows, cols);
        long firstRow = 0;
        for (ModelTensor t : parts) {
            long partRows = HostMatrices.rows(t);
            try (Arena arena = Arena.ofConfined()) {
                if (format.isQuantized()) {
                    HostMatrices.Split split = HostMatrices.split(t, arena);
                    gpu.copyToDevice(base + format.dataBytes(firstRow, cols), split.quants(), split.quants().byteSize());
                    gpu.copyToDevice(scalesBase + firstRow * (cols / WeightFormat.QK) * 2, split.scales(),
                            split.scales().byteSize());
                } else {
                    MemorySegment host = HostMatrices.dense(t, format, arena);
                    long bytes = format.dataBytes(partRows, cols);
                    gpu.copyToDevice(base + format.dataBytes(firstRow, cols), host, bytes);
                }
            }
            firstRow += partRows;
        }
        long[] slot = pointers[layer + 1][kind.ordinal()];
        slot[0] = base;
        slot[1] = format.isQuantized() ? scalesBase : 0;
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (long p : allocations) {
            try {
                gpu.free(p);
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        allocations.clear();
        if (first != null) {
            throw first;
        }
    }
}
