package dev.infera.cpu;

import dev.infera.core.backend.StepBatch;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.model.RopeFrequencies;
import dev.infera.core.model.RopeType;
import dev.infera.cpu.kernels.MatMul;
import dev.infera.cpu.kernels.WorkerPool;
import dev.infera.cpu.ops.AttentionKernel;
import dev.infera.cpu.ops.ElementwiseOps;
import dev.infera.cpu.ops.PagedKvCache;

/**
 * The Llama/Qwen2 decoder forward pass over one {@link StepBatch}. All token rows of the step move
 * through the layers together, so each weight matrix is read once per step (one
 * {@link MatMul#apply} with {@code batch = numTokens}), whatever mix of prefill chunks and decodes the
 * step holds:
 *
 * <pre>
 * x = embed(tokens)
 * per layer:  h = rmsnorm(x);  q, k, v = h Wq (+bq), h Wk (+bk), h Wv (+bv);  rope(q, k)
 *             write k, v to their slots;  a = paged causal attention(q) through block tables
 *             x += a Wo;  h = rmsnorm(x);  x += (silu(h Wgate) * h Wup) Wdown
 * logits = rmsnorm(x[sample rows]) Wout
 * </pre>
 *
 * Every row's K/V of a layer is written before any row of that layer attends, so a prefill chunk
 * sees its own earlier tokens. A row's result depends only on its own sequence's tokens and cache, never
 * on what else shares the step (row-wise kernels, one attention task per row and head), which is what
 * makes greedy output independent of batching. Attention runs on the worker pool, one task per
 * (token, KV head) covering the query heads that share it (head {@code h} reads KV head
 * {@code h / headsPerKvHead}), so each key and value is fetched once per token for the whole group.
 */
final class ForwardPass {

    private final CpuModel model;
    private final ModelConfig config;
    private final MatMul matMul;
    private final ElementwiseOps ops;
    private final AttentionKernel attention;
    private final WorkerPool pool;
    private final ForwardScratch s;
    private final float attentionScale;
    private final WorkerPool.Task attentionTask = this::attendOne;

    private StepBatch batch;
    private PagedKvCache cache;
    private int layer;

    ForwardPass(CpuModel model, CpuKernels kernels, WorkerPool pool) {
        this.model = model;
        this.config = model.config;
        this.matMul = kernels.matMul();
        this.ops = kernels.ops();
        this.attention = kernels.attention();
        this.pool = pool;
        this.s = new ForwardScratch(config, pool.numThreads());
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    /** Runs the step and returns the logits buffer ({@code numSampleRows x vocabSize} from index 0). */
    float[] run(StepBatch batch, PagedKvCache cache) {
        int n = batch.numTokens();
        s.ensure(n, batch.numSampleRows(), batch.maxSeqLen());
        this.batch = batch;
        this.cache = cache;
        try {
            prepareRows(n);
            for (int l = 0; l < model.layers.length; l++) {
                layer = l;
                runLayer(model.layers[l], n);
            }
            return logits();
        } finally {
            this.batch = null;
            this.cache = null;
        }
    }

    private void prepareRows(int n) {
        int dim = config.embeddingLength();
        int ropeDim = config.ropeDim();
        RopeType ropeType = config.ropeType();
        for (int seq = 0; seq < batch.numSeqs(); seq++) {
            for (int row = batch.queryStart(seq); row < batch.queryStart(seq + 1); row++) {
                s.rowSeq[row] = seq;
            }
        }
        for (int t = 0; t < n; t++) {
            model.tokenEmbedding.dequantizeRow(batch.tokenId(t), s.x, t * dim);
            RopeFrequencies.angles(model.ropeInverseFrequencies, batch.position(t), s.pairCos, s.pairSin, 0);
            ElementwiseOps.ropeTable(ropeType, s.pairCos, s.pairSin, s.ropeCos, s.ropeSin, t * ropeDim);
        }
    }

    private void runLayer(CpuModel.Layer w, int n) {
        int dim = config.embeddingLength();
        int qDim = config.queryDim();
        int kvDim = config.kvDim();
        int ropeDim = config.ropeDim();
        float eps = config.rmsNormEps();
        for (int t = 0; t < n; t++) {
            ops.rmsNorm(s.x, t * dim, w.attnNorm(), eps, s.xb, t * dim, dim);
        }
        matMul.apply(w.wq(), s.xb, 0, n, s.q, 0);
        matMul.apply(w.wk(), s.xb, 0, n, s.k, 0);
        matMul.apply(w.wv(), s.xb, 0, n, s.v, 0);
        for (int t = 0; t < n; t++) {
            if (w.bq() != null) {
                ops.add(s.q, t * qDim, w.bq(), 0, qDim);
                ops.add(s.k, t * kvDim, w.bk(), 0, kvDim);
                ops.add(s.v, t * kvDim, w.bv(), 0, kvDim);
            }
            ops.rope(s.q, t * qDim, config.numHeads(), config.headDim(), ropeDim, config.ropeType(),
                    s.ropeCos, s.ropeSin, t * ropeDim);
            ops.rope(s.k, t * kvDim, config.numKvHeads(), config.headDim(), ropeDim, config.ropeType(),
                    s.ropeCos, s.ropeSin, t * ropeDim);
            cache.write(layer, batch.slot(t), s.k, t * kvDim, s.v, t * kvDim);
        }
        pool.parallelFor(n * config.numKvHeads(), attentionTask);
        matMul.apply(w.wo(), s.att, 0, n, s.proj, 0);
        ops.add(s.x, 0, s.proj, 0, n * dim);
        for (int t = 0; t < n; t++) {
            ops.rmsNorm(s.x, t * dim, w.ffnNorm(), eps, s.xb, t * dim, dim);
        }
        matMul.apply(w.gate(), s.xb, 0, n, s.gate, 0);
        matMul.apply(w.up(), s.xb, 0, n, s.up, 0);
        ops.siluMul(s.gate, 0, s.up, 0, n * config.feedForwardLength());
        matMul.apply(w.down(), s.gate, 0, n, s.proj, 0);
        ops.add(s.x, 0, s.proj, 0, n * dim);
    }

    /** Attention task {@code task = row * numKvHeads + kvHead}: the query heads sharing that KV head. */
    private void attendOne(int task, int worker) {
        int numKvHeads = config.numKvHeads();
        int row = task / numKvHeads;
        int kvHead = task % numKvHeads;
        int group = config.headsPerKvHead();
        int offset = row * config.queryDim() + kvHead * group * config.headDim();
        attention.attend(s.q, offset, group, cache, layer, kvHead, batch.blockTable(s.rowSeq[row]),
                batch.position(row) + 1, attentionScale, s.scores[worker], s.att, offset);
    }

    private float[] logits() {
        int dim = config.embeddingLength();
        int numSamples = batch.numSampleRows();
        for (int i = 0; i < numSamples; i++) {
            ops.rmsNorm(s.x, batch.sampleRow(i) * dim, model.outputNorm, config.rmsNormEps(), s.sampleX, i * dim, dim);
        }
        if (numSamples > 0) {
            matMul.apply(model.output, s.sampleX, 0, numSamples, s.logits, 0);
        }
        return s.logits;
    }
}
