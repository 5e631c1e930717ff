package dev.infera.cuda.plan;

import dev.infera.core.backend.KvCacheLayout;
import dev.infera.cuda.driver.Cublas;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a step's shape into the sequence of device operations that runs it: which kernels, with which
 * grids, block sizes, shared memory and arguments, and which cuBLAS GEMMs. It is plain Java with no
 * device behind it, so the planning is unit-tested without a GPU; the backend's executor only resolves
 * the symbolic arguments to addresses and issues the calls (or captures them into a CUDA graph).
 *
 * <p>The forward pass mirrors the CPU backend's, with the row-wise stages fused where it saves a pass
 * over the residual stream:
 *
 * <pre>
 * x = embed(tokens);  xb = rmsnorm(x, attn_norm[0])
 * per layer l:  qkv = xb Wqkv (+ bias);  rope(q, k);  write k, v to their slots
 *               att = decode attention (split + reduce) for decode entries, tiled prefill attention for tiles
 *               proj = att Wo;  x += proj, xb = rmsnorm(x, ffn_norm)           (add_rms_norm)
 *               gu = xb Wgate|up;  act = silu(gate) * up;  proj = act Wdown
 *               x += proj, xb = rmsnorm(x, attn_norm[l + 1])                   (last layer: x += proj)
 * logits = rmsnorm(x[sample rows], output_norm) Wout          (+ argmax per row when greedy)
 * </pre>
 *
 * A matrix product over at most {@link #MATVEC_MAX_TOKENS} rows is one matvec launch that reads the
 * weights once; a larger one is a cuBLAS GEMM with F32 accumulation, after converting the activations
 * to BF16/F16 for 16-bit weights, and for quantized weights after expanding row chunks to BF16.
 */
public final class StepPlanner {

    /** The most token rows a matvec launch takes; must equal MATVEC_MAX_TOKENS in matmul.cuh. */
    public static final int MATVEC_MAX_TOKENS = 8;
    /** Threads per block of row-wise and grid-stride kernels. */
    static final int ROW_THREADS = 256;
    /** Warps (output rows) per matvec block. */
    static final int MATVEC_WARPS = 4;
    static final int ATTENTION_THREADS = 128;
    /** Threads per argmax block; must equal ARGMAX_THREADS in sampling.cuh. */
    public static final int ARGMAX_THREADS = 256;
    static final int MAX_GRID_STRIDE_BLOCKS = 4096;

    private final ModelShape m;
    private final AttentionConfig attention;
    private final long dequantChunkBytes;
    private final int blockSize;
    private final long kvKindStride;
    private final float attentionScale;

    public StepPlanner(ModelShape model, KvCacheLayout kv, AttentionConfig attention, long dequantChunkBytes) {
        if (kv.numLayers() != model.numLayers() || kv.numKvHeads() != model.numKvHeads()
                || kv.headDim() != model.headDim() || kv.bytesPerElement() != model.kvType().bytes()) {
            throw new IllegalArgumentException("KV layout " + kv + " does not match the model (" + model.numLayers()
                    + " layers, " + model.numKvHeads() + " KV heads of " + model.headDim() + ", "
                    + model.kvType() + ")");
        }
        this.m = model;
        this.attention = attention;
        this.dequantChunkBytes = dequantChunkBytes;
        this.blockSize = kv.blockSize();
        this.kvKindStride = (long) kv.numBlocks() * kv.numKvHeads() * kv.blockSize() * kv.headDim() * kv.bytesPerElement();
        this.attentionScale = (float) (1.0 / Math.sqrt(model.headDim()));
    }

    public AttentionConfig attention() {
        return attention;
    }

    /** Decode splits the step's table stride needs. */
    public int splits(StepShape s) {
        return attention.splits(s.tableStride(), blockSize);
    }

    /** The operations of one step; {@code greedy} adds an argmax over each sample row's logits. */
    public List<DeviceOp> plan(StepShape s, boolean greedy) {
        List<DeviceOp> ops = new ArrayList<>();
        MetadataLayout meta = MetadataLayout.of(s);
        int n = s.numTokens();
        int dim = m.dim();
        ops.add(launch(m.embedding().embedKernel(), n, ROW_THREADS, 0,
                concat(weightArgs(-1, WeightKind.EMBEDDING, m.embedding()),
                        List.of(MetadataLayout.at(meta.tokens()), Arg.ptr(Buffer.X), Arg.i32(dim)))));
        ops.add(rmsNorm(n, new Arg.Null(), new Arg.Weight(0, WeightKind.ATTN_NORM, false), Buffer.XB));
        for (int l = 0; l < m.numLayers(); l++) {
            layer(ops, s, meta, l);
        }
        if (s.numSampleRows() > 0) {
            int samples = s.numSampleRows();
            ops.add(launch(Kernel.RMS_NORM, samples, ROW_THREADS, 0, List.of(Arg.ptr(Buffer.X),
                    MetadataLayout.at(meta.sampleRows()), new Arg.Weight(-1, WeightKind.OUTPUT_NORM, false),
                    Arg.ptr(Buffer.SAMPLE_XB), Arg.i32(dim), new Arg.F32(m.rmsNormEps()))));
            matmul(ops, -1, WeightKind.OUTPUT, m.output(), m.vocab(), dim, Buffer.SAMPLE_XB, Buffer.LOGITS, samples);
            if (greedy) {
                ops.add(launch(Kernel.ARGMAX_ROWS, samples, ARGMAX_THREADS, 0,
                        List.of(Arg.ptr(Buffer.LOGITS), Arg.i32(m.vocab()), Arg.ptr(Buffer.ARGMAX))));
            }
        }
        return ops;
    }

    private void layer(List<DeviceOp> ops, StepShape s, MetadataLayout meta, int l) {
        ModelShape.LayerFormats f = m.layers().get(l);
        int n = s.numTokens();
        int qkvRows = m.qkvRows();
        matmul(ops, l, WeightKind.QKV, f.qkv(), qkvRows, m.dim(), Buffer.XB, Buffer.QKV, n);
        if (m.qkvBias()) {
            ops.add(gridStride(Kernel.BIAS_ADD, (long) n * qkvRows, List.of(Arg.ptr(Buffer.QKV),
                    new Arg.Weight(l, WeightKind.QKV_BIAS, false), Arg.i32(qkvRows), Arg.i64(n))));
        }
        ops.add(launch(Kernel.ROPE, n, ROW_THREADS, 0, List.of(Arg.ptr(Buffer.QKV), Arg.i32(qkvRows),
                MetadataLayout.at(meta.positions()), new Arg.Weight(-1, WeightKind.ROPE_INV_FREQ, false),
                Arg.i32(m.numHeads()), Arg.i32(m.numKvHeads()), Arg.i32(m.headDim()), Arg.i32(m.ropeDim()),
                Arg.i32(m.neox() ? 1 : 0))));
        Arg.Ptr keys = Arg.ptr(Buffer.KV_CACHE, 2L * l * kvKindStride);
        Arg.Ptr values = Arg.ptr(Buffer.KV_CACHE, (2L * l + 1) * kvKindStride);
        ops.add(launch(m.kvType().writeKernel(), n, ROW_THREADS, 0, List.of(Arg.ptr(Buffer.QKV), Arg.i32(qkvRows),
                Arg.i32(m.queryDim()), Arg.i32(m.queryDim() + m.kvDim()), MetadataLayout.at(meta.slots()), keys, values,
                Arg.i32(m.numKvHeads()), Arg.i32(m.headDim()), Arg.i32(blockSize))));
        if (s.numDecodeEntries() > 0) {
            int splits = splits(s);
            ops.add(new DeviceOp.Launch(m.kvType().decodeKernel(), s.numDecodeEntries(), m.numKvHeads(), splits,
                    ATTENTION_THREADS, attention.decodeSharedBytes(m), List.of(Arg.ptr(Buffer.QKV), Arg.i32(qkvRows),
                    MetadataLayout.at(meta.decodeEntries()), MetadataLayout.at(meta.positions()),
                    MetadataLayout.at(meta.blockTables()), Arg.i32(s.tableStride()), keys, values,
                    Arg.ptr(Buffer.PART_OUT), Arg.ptr(Buffer.PART_MAX), Arg.ptr(Buffer.PART_SUM),
                    Arg.i32(m.numHeads()), Arg.i32(m.numKvHeads()), Arg.i32(m.headDim()), Arg.i32(blockSize),
                    Arg.i32(attention.partitionTokens()), Arg.i32(splits), new Arg.F32(attentionScale))));
            ops.add(new DeviceOp.Launch(Kernel.ATTENTION_DECODE_REDUCE, s.numDecodeEntries(), m.numHeads(), 1,
                    reduceThreads(), 0, List.of(Arg.ptr(Buffer.PART_OUT), Arg.ptr(Buffer.PART_MAX),
                    Arg.ptr(Buffer.PART_SUM), MetadataLayout.at(meta.decodeEntries()),
                    MetadataLayout.at(meta.positions()), Arg.ptr(Buffer.ATT), Arg.i32(m.numHeads()),
                    Arg.i32(m.headDim()), Arg.i32(attention.partitionTokens()), Arg.i32(splits))));
        }
        if (s.numPrefillTiles() > 0) {
            ops.add(new DeviceOp.Launch(m.kvType().prefillKernel(), s.numPrefillTiles(), m.numHeads(), 1,
                    ATTENTION_THREADS, attention.prefillSharedBytes(m), List.of(Arg.ptr(Buffer.QKV),
                    Arg.i32(qkvRows), MetadataLayout.at(meta.prefillTiles()), MetadataLayout.at(meta.positions()),
                    MetadataLayout.at(meta.blockTables()), Arg.i32(s.tableStride()), keys, values,
                    Arg.ptr(Buffer.ATT), Arg.i32(m.numHeads()), Arg.i32(m.numKvHeads()), Arg.i32(m.headDim()),
                    Arg.i32(blockSize), Arg.i32(attention.tileQ()), Arg.i32(attention.tileK()),
                    new Arg.F32(attentionScale))));
        }
        matmul(ops, l, WeightKind.WO, f.wo(), m.dim(), m.queryDim(), Buffer.ATT, Buffer.PROJ, n);
        ops.add(addRmsNorm(n, new Arg.Weight(l, WeightKind.FFN_NORM, false)));
        matmul(ops, l, WeightKind.GATE_UP, f.gateUp(), 2 * m.ffn(), m.dim(), Buffer.XB, Buffer.GATE_UP, n);
        ops.add(gridStride(Kernel.SILU_MUL, (long) n * m.ffn(), List.of(Arg.ptr(Buffer.GATE_UP), Arg.ptr(Buffer.ACT),
                Arg.i32(m.ffn()), Arg.i64(n))));
        matmul(ops, l, WeightKind.DOWN, f.down(), m.dim(), m.ffn(), Buffer.ACT, Buffer.PROJ, n);
        if (l + 1 < m.numLayers()) {
            ops.add(addRmsNorm(n, new Arg.Weight(l + 1, WeightKind.ATTN_NORM, false)));
        } else {
            ops.add(gridStride(Kernel.RESIDUAL_ADD, (long) n * m.dim(), List.of(Arg.ptr(Buffer.X), Arg.ptr(Buffer.PROJ),
                    Arg.i64((long) n * m.dim()))));
        }
    }

    /** Threads of the decode reduce: one per head element, in whole warps, at most 128. */
    int reduceThreads() {
        return Math.min(128, (m.headDim() + 31) / 32 * 32);
    }

    private DeviceOp rmsNorm(int rows, Arg rowIndex, Arg weight, Buffer out) {
        return launch(Kernel.RMS_NORM, rows, ROW_THREADS, 0, List.of(Arg.ptr(Buffer.X), rowIndex, weight,
                Arg.ptr(out), Arg.i32(m.dim()), new Arg.F32(m.rmsNormEps())));
    }

    private DeviceOp addRmsNorm(int rows, Arg weight) {
        return launch(Kernel.ADD_RMS_NORM, rows, ROW_THREADS, 0, List.of(Arg.ptr(Buffer.X), Arg.ptr(Buffer.PROJ),
                weight, Arg.ptr(Buffer.XB), Arg.i32(m.dim()), new Arg.F32(m.rmsNormEps())));
    }

    /**
     * {@code out (tokens x rows) = in (tokens x cols) W^T}: a matvec for few tokens, else a GEMM, with
     * the conversions and dequantization it needs.
     */
    private void matmul(List<DeviceOp> ops, int layer, WeightKind kind, WeightFormat format, int rows, int cols,
            Buffer in, Buffer out, int tokens) {
        if (tokens <= MATVEC_MAX_TOKENS) {
            int blocks = (rows + MATVEC_WARPS - 1) / MATVEC_WARPS;
            ops.add(launch(format.matvecKernel(), blocks, MATVEC_WARPS * 32, 0, concat(weightArgs(layer, kind, format),
                    List.of(Arg.ptr(in), Arg.ptr(out), Arg.i32(rows), Arg.i32(cols), Arg.i32(tokens)))));
            return;
        }
        if (format == WeightFormat.F32) {
            ops.add(new DeviceOp.Gemm(new Arg.Weight(layer, kind, false), Cublas.CUDA_R_32F, Arg.ptr(in),
                    Cublas.CUDA_R_32F, Arg.ptr(out), rows, tokens, cols, rows));
            return;
        }
        boolean f16 = format == WeightFormat.F16;
        int type = f16 ? Cublas.CUDA_R_16F : Cublas.CUDA_R_16BF;
        ops.add(gridStride(f16 ? Kernel.CONVERT_F32_F16 : Kernel.CONVERT_F32_BF16, (long) tokens * cols,
                List.of(Arg.ptr(in), Arg.ptr(Buffer.GEMM_INPUT), Arg.i64((long) tokens * cols))));
        if (!format.isQuantized()) {
            ops.add(new DeviceOp.Gemm(new Arg.Weight(layer, kind, false), type, Arg.ptr(Buffer.GEMM_INPUT), type,
                    Arg.ptr(out), rows, tokens, cols, rows));
            return;
        }
        int chunk = Math.min(rows, ScratchLayout.dequantChunkRows(cols, dequantChunkBytes));
        for (int first = 0; first < rows; first += chunk) {
            int count = Math.min(chunk, rows - first);
            ops.add(gridStride(format.dequantKernel(), (long) count * cols, List.of(new Arg.Weight(layer, kind, false),
                    new Arg.Weight(layer, kind, true), Arg.ptr(Buffer.DEQUANT), Arg.i64(first), Arg.i32(count),
                    Arg.i32(cols))));
            ops.add(new DeviceOp.Gemm(Arg.ptr(Buffer.DEQUANT), Cublas.CUDA_R_16BF, Arg.ptr(Buffer.GEMM_INPUT),
                    Cublas.CUDA_R_16BF, Arg.ptr(out, 4L * first), count, tokens, cols, rows));
        }
    }

    private static List<Arg> weightArgs(int layer, WeightKind kind, WeightFormat format) {
        return format.isQuantized()
                ? List.of(new Arg.Weight(layer, kind, false), new Arg.Weight(layer, kind, true))
                : List.of(new Arg.Weight(layer, kind, false));
    }

    private static List<Arg> concat(List<Arg> a, List<Arg> b) {
        List<Arg> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static DeviceOp.Launch launch(Kernel k, int blocks, int threads, int shared, List<Arg> args) {
        return new DeviceOp.Launch(k, blocks, 1, 1, threads, shared, args);
    }

    /** A grid-stride kernel over {@code elements}: enough blocks for one element per thread, capped. */
    static DeviceOp.Launch gridStride(Kernel k, long elements, List<Arg> args) {
        long blocks = Math.max(1, Math.min(MAX_GRID_STRIDE_BLOCKS, (elements + ROW_THREADS - 1) / ROW_THREADS));
        return launch(k, (int) blocks, ROW_THREADS, 0, args);
    }
}
