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
 * sees its own earlier tokens. Apart from the matrix products, a row's arithmetic depends only on its
 * own sequence's tokens and cache, never on what else shares the step: element-wise kernels are called
 * once per row, and attention per row and head is computed the same way however heads are grouped
 * into tasks. That is what keeps greedy output independent of batching.
 *
 * <p>Everything runs on the backend's worker pool: the row-wise stages in chunks of rows, attention as
 * tasks of a tile of consecutive rows of one sequence (one row when decoding) and all its query heads,
 * KV head after KV head (head {@code h} reads KV head {@code h / headsPerKvHead}), so each key and
 * value tile is fetched once for the heads that share it; with fewer tiles than threads a task takes
 * one KV group or part of one instead.
 */
final class ForwardPass {

    /**
     * Attention tasks per thread below which a task takes fewer heads. A task takes as many heads as
     * still leave this many tasks per thread: every head of its tile, KV head after KV head; else one
     * KV group; else the largest divisor of the group. One, so only a single sequence on two threads
     * splits its heads at all.
     * <ul>
     *   <li>Whole tiles: a block's tiles of all KV heads lie side by side in the cache, so a task
     *       walking them in turn reads one longer run of memory that the hardware prefetchers follow;
     *       decode attention waits on cache misses, not arithmetic (docs/performance.md item 14). Two
     *       and three sequences ran as fast or faster with one task each than with their groups spread
     *       over the threads.</li>
     *   <li>Whole groups: single-head tasks read their KV head's keys and values once per head and fill
     *       only one of the kernel's four query slots; SmolLM2 (9 heads, 3 KV heads) decoding one
     *       sequence, interleaved in one JVM: 3 whole-group tasks vs 9 single-head ones (what 4 per
     *       thread gave) 199 -> 209 tok/s at contexts 128-256 and 147 -> 164 at 128-896, though 3 tasks
     *       split 2:1 over 2 threads.</li>
     * </ul>
     */
    private static final int ATTENTION_TASKS_PER_THREAD = 1;
    /** Most query rows of one sequence in one attention task (a prefill chunk is cut into such tiles). */
    private static final int ATTENTION_TILE_ROWS = 16;
    /** Row-wise stages run on the caller alone below this many rows (the hand-off would cost more). */
    private static final int MIN_PARALLEL_ROWS = 4;
    private static final int ROW_CHUNKS_PER_THREAD = 2;

    private final CpuModel model;
    private final ModelConfig config;
    private final MatMul matMul;
    private final ElementwiseOps ops;
    private final AttentionKernel attention;
    private final WorkerPool pool;
    private final ForwardScratch s;
    private final float attentionScale;
    private final WorkerPool.Task attentionInputTask = this::attentionInputRows;
    private final WorkerPool.Task positionTask = this::positionRows;
    private final WorkerPool.Task attentionTask = this::attendOne;
    private final WorkerPool.Task ffnInputTask = this::ffnInputRows;
    private final WorkerPool.Task activationTask = this::activationRows;
    private final WorkerPool.Task residualTask = this::residualRows;

    private StepBatch batch;
    private PagedKvCache cache;
    private int layer;
    private CpuModel.Layer weights;
    private int numRows;
    private int rowChunks;
    private int headsPerTask;
    /** First row of each attention tile, then {@code numRows}: tile {@code t} is {@code [tileRow[t], tileRow[t+1])}. */
    private int[] tileRow = new int[1];
    private int numTiles;

    ForwardPass(CpuModel model, CpuKernels kernels, WorkerPool pool) {
        this.model = model;
        this.config = model.config;
        this.matMul = kernels.matMul();
        this.ops = kernels.ops();
        this.attention = kernels.attention();
        this.pool = pool;
        boolean anyJoinedQkv = false;
        boolean anyJoinedGateUp = false;
        boolean anySplitGateUp = false;
        for (CpuModel.Layer layerWeights : model.layers) {
            anyJoinedQkv |= layerWeights.qkv() != null;
            anyJoinedGateUp |= layerWeights.gateUp() != null;
            anySplitGateUp |= layerWeights.gateUp() == null;
        }
        this.s = new ForwardScratch(config, pool.numThreads(), anyJoinedQkv, anyJoinedGateUp, anySplitGateUp);
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    /** Runs the step and returns the logits buffer ({@code numSampleRows x vocabSize} from index 0). */
    float[] run(StepBatch batch, PagedKvCache cache) {
        int n = batch.numTokens();
        s.ensure(n, batch.numSampleRows());
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
            this.weights = null;
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
        this.weights = w;
        this.numRows = n;
        this.rowChunks = n < MIN_PARALLEL_ROWS ? 1 : Math.min(n, ROW_CHUNKS_PER_THREAD * pool.numThreads());
        pool.parallelFor(rowChunks, attentionInputTask);
        if (w.qkv() != null) {
            matMul.apply(w.qkv(), s.xb, 0, n, s.qkv, 0);
        } else {
            matMul.apply(w.wq(), s.xb, 0, n, s.q, 0);
            matMul.apply(w.wk(), s.xb, 0, n, s.k, 0);
            matMul.apply(w.wv(), s.xb, 0, n, s.v, 0);
        }
        pool.parallelFor(rowChunks, positionTask);
        pool.parallelFor(planAttention(n), attentionTask);
        matMul.apply(w.wo(), s.att, 0, n, s.proj, 0);
        pool.parallelFor(rowChunks, ffnInputTask);
        if (w.gateUp() != null) {
            int ffn2 = 2 * config.feedForwardLength();
            matMul.apply(w.gateUp(), s.xb, 0, n, s.gateUp, 0);
            pool.parallelFor(rowChunks, activationTask);
            matMul.apply(w.down(), s.gateUp, 0, ffn2, n, s.proj, 0, config.embeddingLength());
        } else {
            matMul.apply(w.gate(), s.xb, 0, n, s.gate, 0);
            matMul.apply(w.up(), s.xb, 0, n, s.up, 0);
            pool.parallelFor(rowChunks, activationTask);
            matMul.apply(w.down(), s.gate, 0, n, s.proj, 0);
        }
        pool.parallelFor(rowChunks, residualTask);
    }

    /** First row of a chunk of the row-wise stages. */
    private int chunkStart(int chunk) {
        return (int) ((long) chunk * numRows / rowChunks);
    }

    /** {@code xb = rmsnorm(x)} with the attention norm. */
    private void attentionInputRows(int chunk, int worker) {
        int dim = config.embeddingLength();
        for (int t = chunkStart(chunk), end = chunkStart(chunk + 1); t < end; t++) {
            ops.rmsNorm(s.x, t * dim, weights.attnNorm(), config.rmsNormEps(), s.xb, t * dim, dim);
        }
    }

    /**
     * Q/K/V split out of the joined product (when there is one), biases, RoPE on queries and keys,
     * and the keys and values into their KV slots.
     */
    private void positionRows(int chunk, int worker) {
        int qDim = config.queryDim();
        int kvDim = config.kvDim();
        int ropeDim = config.ropeDim();
        int qkvDim = qDim + 2 * kvDim;
        boolean joined = weights.qkv() != null;
        for (int t = chunkStart(chunk), end = chunkStart(chunk + 1); t < end; t++) {
            if (joined) {
                System.arraycopy(s.qkv, t * qkvDim, s.q, t * qDim, qDim);
                System.arraycopy(s.qkv, t * qkvDim + qDim, s.k, t * kvDim, kvDim);
                System.arraycopy(s.qkv, t * qkvDim + qDim + kvDim, s.v, t * kvDim, kvDim);
            }
            if (weights.bq() != null) {
                ops.add(s.q, t * qDim, weights.bq(), 0, qDim);
                ops.add(s.k, t * kvDim, weights.bk(), 0, kvDim);
                ops.add(s.v, t * kvDim, weights.bv(), 0, kvDim);
            }
            ops.rope(s.q, t * qDim, config.numHeads(), config.headDim(), ropeDim, config.ropeType(),
                    s.ropeCos, s.ropeSin, t * ropeDim);
            ops.rope(s.k, t * kvDim, config.numKvHeads(), config.headDim(), ropeDim, config.ropeType(),
                    s.ropeCos, s.ropeSin, t * ropeDim);
            cache.write(layer, batch.slot(t), s.k, t * kvDim, s.v, t * kvDim);
        }
    }

    /** {@code x += attention output; xb = rmsnorm(x)} with the FFN norm. */
    private void ffnInputRows(int chunk, int worker) {
        int dim = config.embeddingLength();
        for (int t = chunkStart(chunk), end = chunkStart(chunk + 1); t < end; t++) {
            ops.add(s.x, t * dim, s.proj, t * dim, dim);
            ops.rmsNorm(s.x, t * dim, weights.ffnNorm(), config.rmsNormEps(), s.xb, t * dim, dim);
        }
    }

    /**
     * {@code gate = silu(gate) * up}, one call per row so that every row splits into vector body and
     * scalar tail the same way whatever its place in the batch. With the joined product a row is
     * {@code [gate | up]} and the result overwrites its gate half.
     */
    private void activationRows(int chunk, int worker) {
        int ffn = config.feedForwardLength();
        boolean joined = weights.gateUp() != null;
        for (int t = chunkStart(chunk), end = chunkStart(chunk + 1); t < end; t++) {
            if (joined) {
                ops.siluMul(s.gateUp, 2 * t * ffn, s.gateUp, 2 * t * ffn + ffn, ffn);
            } else {
                ops.siluMul(s.gate, t * ffn, s.up, t * ffn, ffn);
            }
        }
    }

    /** {@code x += FFN output}. */
    private void residualRows(int chunk, int worker) {
        int dim = config.embeddingLength();
        int start = chunkStart(chunk);
        ops.add(s.x, start * dim, s.proj, start * dim, (chunkStart(chunk + 1) - start) * dim);
    }

    /**
     * Cuts each sequence's rows into tiles of at most {@link #ATTENTION_TILE_ROWS} consecutive rows
     * (at the first layer of each step), picks the heads per task and grows the workers' scratch;
     * returns the number of attention tasks. A tile's rows share every K/V tile the kernel reads;
     * decode rows are tiles of one.
     */
    private int planAttention(int numTokens) {
        if (layer == 0) {
            if (tileRow.length < numTokens + 1) {
                tileRow = new int[numTokens + 1];
            }
            numTiles = 0;
            int longestTile = 1;
            for (int seq = 0; seq < batch.numSeqs(); seq++) {
                int end = batch.queryStart(seq + 1);
                for (int row = batch.queryStart(seq); row < end; row += ATTENTION_TILE_ROWS) {
                    tileRow[numTiles++] = row;
                    longestTile = Math.max(longestTile, Math.min(ATTENTION_TILE_ROWS, end - row));
                }
            }
            tileRow[numTiles] = numTokens;
            headsPerTask = headsPerTask(numTiles);
            s.ensureScores(AttentionKernel.scratchFloats(longestTile, headsPerCall(), batch.maxSeqLen(),
                    cache.blockSize()));
        }
        return numTiles * (config.numHeads() / headsPerTask);
    }

    /** Query heads per kernel call: those of one KV head that a task takes. */
    private int headsPerCall() {
        return Math.min(headsPerTask, config.headsPerKvHead());
    }

    /** How many query heads one attention task takes (see {@link #ATTENTION_TASKS_PER_THREAD}). */
    private int headsPerTask(int tiles) {
        int wanted = ATTENTION_TASKS_PER_THREAD * pool.numThreads();
        if (tiles >= wanted) {
            return config.numHeads();
        }
        int group = config.headsPerKvHead();
        for (int per = group; per > 1; per--) {
            if (group % per == 0 && (long) tiles * config.numHeads() / per >= wanted) {
                return per;
            }
        }
        return 1;
    }

    /**
     * Attention task {@code task}: one tile of rows and {@code headsPerTask} consecutive heads, one
     * kernel call per KV head they read. The last tiles (the longest contexts of a prefill chunk) are
     * handed out first, so the costly tasks do not end up alone at the end of the loop.
     */
    private void attendOne(int task, int worker) {
        int chunksPerTile = config.numHeads() / headsPerTask;
        int tile = numTiles - 1 - task / chunksPerTile;
        int row = tileRow[tile];
        int[] blockTable = batch.blockTable(s.rowSeq[row]);
        int firstHead = (task % chunksPerTile) * headsPerTask;
        int headsPerCall = headsPerCall();
        for (int head = firstHead; head < firstHead + headsPerTask; head += headsPerCall) {
            int offset = row * config.queryDim() + head * config.headDim();
            attention.attend(s.q, offset, config.queryDim(), tileRow[tile + 1] - row, headsPerCall, cache, layer,
                    head / config.headsPerKvHead(), blockTable, batch.position(row) + 1, attentionScale,
                    s.scores[worker], s.att, offset);
        }
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
