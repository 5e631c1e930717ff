package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.quant.Dequantize;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast matrix product: Vector API kernels, parallel over output rows on a {@link WorkerPool}.
 *
 * <p>The activations are first copied into a 64-byte-aligned native buffer, each row zero-padded to a
 * multiple of 16 floats ({@code ld}), so every vector load in the inner loops is aligned (a 512-bit
 * load across two cache lines costs double) and no loop needs a scalar tail.
 *
 * <p>Batch 1 (token-by-token decode) is bound by memory bandwidth: each worker streams its share of
 * weight rows once, decoding every block straight into the dot product with the activation row. Larger
 * batches are bound by arithmetic: a worker decodes {@value #DECODE_ROWS} rows at a time into its own
 * aligned buffer (small enough to stay in cache) and multiplies them with all activation rows, so
 * weights are still read and decoded once per call whatever the batch. From a few rows on
 * ({@link #minBroadcastBatch}) the activations are packed transposed and the product runs in
 * broadcast tiles ({@link BatchKernels}: lanes over activation rows, no horizontal sums). Batches of
 * up to 5 rows (a few decode streams; up to {@link #SMALL_BATCH_LIMIT} for Q8_0, F16 and BF16) of the
 * types that have them take the small-batch kernels instead ({@link RowKernels#dotBatch}), which stream the weights once like batch 1
 * and multiply each decoded block into every activation row, each row's result bit for bit its batch-1
 * result. Batches below the broadcast threshold without such kernels (species of fewer than 16 lanes,
 * F32) run the batch-1 row kernels once per activation row over short runs of weight rows (read
 * from memory once, from cache by the other passes; see {@link #copyActivationRows}). Types without
 * a SIMD decoder (Q2_K, Q3_K, Q8_K) are decoded with the scalar decoder of {@link Dequantize}, then
 * take the broadcast tiles or, below their threshold, 4x4 dot-product tiles ({@link DenseKernels}):
 * correct, not fast.
 *
 * <p>Q8_0 and Q4_0 with 16 lanes are stored in 16-row groups ({@link #preferredLayout},
 * {@link RowGroups}) and take none of the above up to
 * {@link #GROUP_KERNELS_MAX_BATCH} rows: the group kernels widen each column's 16 weights into a vector over output rows and multiply it into
 * broadcast activations (batches up to {@link #GROUP_ROW_BY_ROW_LIMIT} one activation row at a time
 * from the rows as they are, larger batches packed in groups of 32 rows). Larger batches (prefill
 * chunks) decode each group into rows for the broadcast tiles. Measured against the row layout's
 * paths, alternating builds (docs/performance.md items 15-17): Q8_0 at 32 streams +7-12%, 8
 * streams +4%, prefill of 512 tokens through the tiles 5-8% faster than through the passes; Q4_0
 * one stream +28%, 2-4 streams +4-8%, 32 streams 3% (decode-only, one JVM) to 11% (bench) slower.
 * Grouped matrices given to other species are decoded row by row by the scalar decoder.
 *
 * <p>The species is fixed at construction and compiled as a constant into hidden copies of the kernel
 * templates (see {@link SpeciesSpecializer}). Calls are serialised on this object, which owns the
 * buffers and the reusable parallel job; once buffers have grown to the largest shape, calls
 * allocate nothing.
 */
public final class SimdMatMul implements MatMul {

    /**
     * The largest batch that takes the small-batch kernels (in two parts above
     * {@link RowKernels#MAX_SMALL_BATCH}) instead of the broadcast tiles, for the types whose blocks
     * decode cheaply enough to decode twice (Q8_0, F16, BF16). Measured end to end on SmolLM2 with 16
     * lanes, alternating in one JVM: Q8_0 at 6, 8 and 10 streams and F16 at 8 ran 1.1-1.3x faster this
     * way (BF16 not measured, taken with F16); Q4_0 (0.89x) and Q5_1 (0.68x) at 8 streams ran
     * slower, so the other types stop at {@link RowKernels#MAX_SMALL_BATCH}.
     */
    static final int SMALL_BATCH_LIMIT = 2 * RowKernels.MAX_SMALL_BATCH;

    /** The largest batch that takes the small-batch kernels for this kind (when it has them). */
    static int smallBatchLimit(int kind) {
        return kind == RowKernels.KIND_Q8_0 || kind == RowKernels.KIND_F16 || kind == RowKernels.KIND_BF16
                ? SMALL_BATCH_LIMIT : RowKernels.MAX_SMALL_BATCH;
    }

    static final int DECODE_ROWS = 16;
    /** Weight rows per pass of the small-batch path (about 40 KB of Q8_0 rows at width 576: stays in L1/L2). */
    static final int ROW_PASS_ROWS = 64;
    /**
     * Batch 1 is one task per thread: a task's rows stream from memory as two sequential runs (the
     * row-pair kernels take rows from the two halves of a task), and the hardware prefetchers ramp up
     * once per run, so a few long runs per thread beat many short ones. Interleaved in one JVM on
     * SmolLM2-135M Q8_0, 2 threads, decode tok/s: 1 task per thread 223, 2 tasks 211, 4 tasks 187.
     * The claim counter still balances: a worker that starts late finds its task already taken.
     */
    private static final int BATCH1_TASKS_PER_THREAD = 1;
    /**
     * Batches 2-10 (small-batch kernels, and the row passes where there are none): 4 tasks per thread
     * measured faster than 1 (275 vs 255 tok/s at 4 streams, docs/kernels.md).
     */
    private static final int TASKS_PER_THREAD = 4;
    /**
     * Batched calls cut finer: a task is then compute-bound work on whole 16-row blocks, and with 576
     * rows and 2 threads, 4 tasks per thread (80 rows each) could leave one thread idle for a
     * seventh of the call at the end.
     */
    private static final int BATCHED_TASKS_PER_THREAD = 12;
    private static final int ALIGN = 64;
    /** Below about this many packed floats per task, packing in parallel costs more than it saves. */
    private static final int PACK_FLOATS_PER_TASK = 4096;

    private final WorkerPool pool;
    private final VectorSpecies<Float> species;
    private final RowKernels rowKernels;
    private final DenseKernels denseKernels;
    private final BatchKernels batchKernels;
    private final int minBroadcastBatch;
    private final Job job = new Job();
    private final GroupJob groupJob = new GroupJob();
    /** Whether the species has the 16 lanes {@link RowGroups}' kernels are written for. */
    private final boolean groupLanes;
    private final PackJob packJob = new PackJob();
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment[] decoded;
    private final float[][] scalarRows;
    private final float[][] scratch;
    /** Per worker: a decoded weight group or block ({@link RowGroups#decodeBufferFloats}), grown per width. */
    private final float[][] decodedGroups;
    /** Per worker: the group passes' sums ({@link RowGroups#accumulatorFloats}), grown per batch. */
    private final float[][] sums;
    private MemorySegment activations = MemorySegment.NULL;
    /** Row groups: the activations packed in groups of 32 rows ({@link BatchKernels#packWide}), and a view of them. */
    private float[] packedGroups = new float[0];
    private MemorySegment packedGroupsView = MemorySegment.NULL;
    /** Batches split in two parts: the second part's activation rows (see {@link #splitActivations}). */
    private MemorySegment secondPart = MemorySegment.NULL;
    private MemorySegment secondPartOf = MemorySegment.NULL;
    private long secondPartAt;
    /** Row passes (types or species without small-batch kernels): each activation row in its own aligned buffer. */
    private final MemorySegment[] activationRows;
    private final int[][] gatherLanes;

    /** Kernels of the platform's preferred species. */
    public SimdMatMul(WorkerPool pool) {
        this(pool, FloatVector.SPECIES_PREFERRED);
    }

    public SimdMatMul(WorkerPool pool, VectorSpecies<Float> species) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.species = Objects.requireNonNull(species, "species");
        if (species.length() < 4 || species.length() > 16) {
            throw new IllegalArgumentException("float species must have 4 to 16 lanes, got " + species);
        }
        this.rowKernels = new RowKernels(species);
        this.denseKernels = SpeciesSpecializer.instantiate(MethodHandles.lookup(), DenseKernels.class, "DenseTileKernels", species);
        this.decoded = new MemorySegment[pool.numThreads()];
        java.util.Arrays.fill(decoded, MemorySegment.NULL);
        this.scalarRows = new float[pool.numThreads()][0];
        this.batchKernels = SpeciesSpecializer.instantiate(MethodHandles.lookup(), BatchKernels.class,
                "BroadcastTileKernels", species);
        this.scratch = new float[pool.numThreads()][BatchKernels.SCRATCH_FLOATS];
        this.decodedGroups = new float[pool.numThreads()][RowGroups.DECODED_BLOCK];
        this.sums = new float[pool.numThreads()][0];
        this.groupLanes = species.length() == RowGroups.GROUP_ROWS;
        this.gatherLanes = new int[pool.numThreads()][16];
        this.minBroadcastBatch = minBroadcastBatch(species.length());
        this.activationRows = new MemorySegment[minBroadcastBatch];
        java.util.Arrays.fill(activationRows, MemorySegment.NULL);
    }

    public VectorSpecies<Float> species() {
        return species;
    }

    public WorkerPool pool() {
        return pool;
    }

    /**
     * Q8_0 and Q4_0 in 16-row groups where the species has 16 lanes (what {@link RowGroups} reads),
     * else rows. (Q4_0 stayed in rows for a session: its passes decoded each block inside the pass
     * loop and ran 2x slower than the row layout's tiles at 32 rows; see {@link RowGroups#decodeQ4_0Group}.)
     */
    @Override
    public WeightMatrix.Layout preferredLayout(GgmlType type) {
        return RowGroups.holds(type) && groupLanes ? WeightMatrix.Layout.ROW_GROUPS : WeightMatrix.Layout.ROWS;
    }

    @Override
    public synchronized void apply(WeightMatrix w, float[] x, int xOffset, int xStride, int batch,
            float[] y, int yOffset, int yStride) {
        MatMul.checkArguments(w, x, xOffset, xStride, batch, y, yOffset, yStride);
        if (batch == 0) {
            return;
        }
        boolean grouped = w.layout() == WeightMatrix.Layout.ROW_GROUPS;
        if (grouped && groupLanes && batch <= GROUP_KERNELS_MAX_BATCH) {
            applyGroups(w, x, xOffset, xStride, batch, y, yOffset, yStride);
            return;
        }
        // Larger batches of groups take the broadcast tiles, each group decoded into rows
        // (RowGroups.decodeRows); with other species the scalar decoder decodes them (correct, not fast).
        int kind = grouped ? -1 : RowKernels.kindOf(w.type());
        if (kind < 0 && !Dequantize.supports(w.type())) {
            throw new IllegalArgumentException("cannot multiply with a weight matrix of type " + w.type());
        }
        int cols = w.cols();
        int ld = roundUp(cols, 16);
        boolean small = batch > 1 && batch <= smallBatchLimit(kind) && rowKernels.hasSmallBatch(kind, 2);
        boolean broadcast = !small && batch >= minBroadcastBatch;
        boolean fused = !broadcast && kind >= 0;
        if (broadcast) {
            packActivations(x, xOffset, xStride, batch, cols, ld);
        } else if (fused && batch > 1 && !small) {
            copyActivationRows(x, xOffset, xStride, batch, cols, ld);
        } else {
            copyActivations(x, xOffset, xStride, batch, cols, ld);
            if (small && batch > RowKernels.MAX_SMALL_BATCH) {
                splitActivations(ld, firstPart(batch));
            }
        }
        int unit = fused ? 4 : DECODE_ROWS;
        int tasksPerThread = !fused ? BATCHED_TASKS_PER_THREAD : batch == 1 ? BATCH1_TASKS_PER_THREAD : TASKS_PER_THREAD;
        int rowsPerTask = Math.max(unit, roundUp(ceilDiv(w.rows(), pool.numThreads() * tasksPerThread), unit));
        if (!fused) {
            ensureDecodeBuffers(ld, kind < 0 ? cols : 0);
        }
        job.set(w, kind, fused, small, broadcast, rowsPerTask, ld, batch, y, yOffset, yStride);
        try {
            pool.parallelFor(ceilDiv(w.rows(), rowsPerTask), job);
        } finally {
            job.clear();
        }
    }

    /**
     * Batches up to this size multiply a matrix in 16-row groups one activation row at a time with
     * the batch-1 kernel, group by group (the group comes from memory once and from L1 for the other
     * rows; Q4_0 two rows at a time, widening each column once for both, {@link RowGroups#pair});
     * larger batches are packed and take the group passes, which cost too much when a pass has only
     * two or three live rows (SmolLM2 Q4_0, 2 streams: 120 tok/s through the passes against 278 row
     * by row; 4 streams 200 against 303).
     */
    static final int GROUP_ROW_BY_ROW_LIMIT = 4;

    /**
     * The largest batch that takes the group kernels ({@link RowGroups}); larger ones
     * (prefill chunks) decode each 16-row group into rows and take the broadcast tiles, which reuse
     * one decoded group across every activation row. Measured with two threads (SmolLM2, docs/
     * performance.md item 16): Q8_0's group passes beat the tiles up to the 160-row steps of 32
     * streams with prefill mixed in and lose at 512 (prefill of 512 tokens 5-8% faster through the
     * tiles). Q4_0 takes the same limit: with each group decoded whole first its passes ran prefill
     * of 512 tokens at the tiles' speed (897, 918 vs 899, 924 tok/s), and the tiles' gathers out of a
     * decoded group are slow at smaller batches (every batch above 4 through them: 40 against 77-82
     * tok/s at 16 streams on the Llama-1B shape).
     */
    static final int GROUP_KERNELS_MAX_BATCH = 256;

    /**
     * A matrix in 16-row groups ({@link RowGroups}), any batch: batches up to
     * {@link #GROUP_ROW_BY_ROW_LIMIT} read their activation rows where they are, larger batches are
     * packed in groups of 32 rows first; tasks are runs of whole weight groups, as many per thread as
     * the row layout's kernels take at the same batch.
     */
    private void applyGroups(WeightMatrix w, float[] x, int xOffset, int xStride, int batch, float[] y, int yOffset,
            int yStride) {
        int cols = w.cols();
        int ld = roundUp(cols, 16);
        if (batch > GROUP_ROW_BY_ROW_LIMIT) {
            long floats = (long) ceilDiv(batch, RowGroups.PACK_ROWS) * RowGroups.PACK_ROWS * ld;
            if (packedGroups.length < floats) {
                packedGroups = new float[Math.toIntExact(floats)];
                packedGroupsView = MemorySegment.ofArray(packedGroups);
            }
            pack(x, xOffset, xStride, batch, cols, ld, true, packedGroupsView);
            int decodeFloats = RowGroups.decodeBufferFloats(w.type(), cols);
            int sumFloats = RowGroups.accumulatorFloats(batch);
            for (int i = 0; i < decodedGroups.length; i++) {
                if (decodedGroups[i].length < decodeFloats) {
                    decodedGroups[i] = new float[decodeFloats];
                }
                if (sums[i].length < sumFloats) {
                    sums[i] = new float[sumFloats];
                }
            }
        }
        int groups = ceilDiv(w.rows(), RowGroups.GROUP_ROWS);
        int tasksPerThread = batch == 1 ? BATCH1_TASKS_PER_THREAD
                : batch <= SMALL_BATCH_LIMIT ? TASKS_PER_THREAD : BATCHED_TASKS_PER_THREAD;
        int groupsPerTask = Math.max(1, ceilDiv(groups, pool.numThreads() * tasksPerThread));
        groupJob.set(w, x, xOffset, xStride, batch, ld, groupsPerTask, y, yOffset, yStride);
        try {
            pool.parallelFor(ceilDiv(groups, groupsPerTask), groupJob);
        } finally {
            groupJob.clear();
        }
    }

    /**
     * Batches below the broadcast threshold without a small-batch kernel run the batch-1 row kernels
     * once per activation row, over runs of {@link #ROW_PASS_ROWS} weight rows: the run is read from
     * memory by the first pass and from cache by the others, and the weights are decoded in registers
     * each time. At 2-5 rows that is
     * faster than decoding the rows into a buffer for the 4x4 dot tiles, and every row's result is
     * exactly its batch-1 result.
     */
    private void copyActivationRows(float[] x, int xOffset, int xStride, int batch, int cols, int ld) {
        for (int b = 0; b < batch; b++) {
            if (activationRows[b].byteSize() < 4L * ld) {
                activationRows[b] = arena.allocate(4L * ld, ALIGN);
            }
            copyPadded(x, xOffset + b * xStride, cols, activationRows[b], 0, ld);
        }
    }

    /**
     * Batches of 6 to {@link #SMALL_BATCH_LIMIT} rows run the small-batch kernels in two parts (first
     * {@code firstPart} rows, then the rest) over each run of {@link #ROW_PASS_ROWS} weight rows: the
     * weights come from memory once and from cache for the second part. The second part's activations
     * are a slice of the buffer, kept while the buffer and the split stay the same (no allocation per call).
     */
    /** Rows of the first part when a small batch runs in two parts: the larger half. */
    private static int firstPart(int batch) {
        return (batch + 1) >> 1;
    }

    private void splitActivations(int ld, int firstPart) {
        long at = 4L * ld * firstPart;
        if (secondPart.byteSize() == 0 || secondPartAt != at || secondPartOf != activations) {
            secondPart = activations.asSlice(at);
            secondPartAt = at;
            secondPartOf = activations;
        }
    }

    /**
     * The smallest batch that takes the broadcast tiles: their smallest lane group holds L/2 activation
     * rows, and below about three quarters of that the padding costs more than the 4x4 dot tiles
     * (measured with 16 lanes: batch 2-4 slower, 6 and up faster).
     */
    static int minBroadcastBatch(int lanes) {
        return Math.max(2, 3 * lanes / 8);
    }

    private void packActivations(float[] x, int xOffset, int xStride, int batch, int cols, int ld) {
        long floats = batchKernels.packedFloats(batch, ld);
        if (activations.byteSize() < 4 * floats) {
            activations = arena.allocate(4 * floats, ALIGN);
        }
        pack(x, xOffset, xStride, batch, cols, ld, false, activations);
    }

    /** Packs ({@link BatchKernels#pack}, or {@link BatchKernels#packWide} if {@code wide}) into {@code target}, in parallel when large. */
    private void pack(float[] x, int xOffset, int xStride, int batch, int cols, int ld, boolean wide,
            MemorySegment target) {
        int chunks = Math.min(ld / 16, Math.min(pool.numThreads() * 2, batch * ld / PACK_FLOATS_PER_TASK));
        if (chunks <= 1) {
            packColumns(x, xOffset, xStride, batch, cols, ld, 0, ld, gatherLanes[0], wide, target);
            return;
        }
        packJob.set(x, xOffset, xStride, batch, cols, ld, roundUp(ceilDiv(ld, chunks), 16), wide, target);
        try {
            pool.parallelFor(ceilDiv(ld, packJob.colsPerTask), packJob);
        } finally {
            packJob.x = null;
            packJob.target = null;
        }
    }

    private void packColumns(float[] x, int xOffset, int xStride, int batch, int cols, int ld, int from, int to,
            int[] lanes, boolean wide, MemorySegment target) {
        if (wide) {
            batchKernels.packWide(x, xOffset, xStride, batch, cols, ld, from, to, lanes, target);
        } else {
            batchKernels.pack(x, xOffset, xStride, batch, cols, ld, from, to, lanes, target);
        }
    }

    /** Packs the activations in parallel, one run of columns per task. */
    private final class PackJob implements WorkerPool.Task {
        private float[] x;
        private int xOffset;
        private int xStride;
        private int batch;
        private int cols;
        private int ld;
        private int colsPerTask;
        private boolean wide;
        private MemorySegment target;

        void set(float[] x, int xOffset, int xStride, int batch, int cols, int ld, int colsPerTask, boolean wide,
                MemorySegment target) {
            this.wide = wide;
            this.target = target;
            this.x = x;
            this.xOffset = xOffset;
            this.xStride = xStride;
            this.batch = batch;
            this.cols = cols;
            this.ld = ld;
            this.colsPerTask = colsPerTask;
        }

        @Override
        public void run(int taskIndex, int workerIndex) {
            int from = taskIndex * colsPerTask;
            packColumns(x, xOffset, xStride, batch, cols, ld, from, Math.min(ld, from + colsPerTask),
                    gatherLanes[workerIndex], wide, target);
        }
    }

    private void copyActivations(float[] x, int xOffset, int xStride, int batch, int cols, int ld) {
        long bytes = 4L * batch * ld;
        if (activations.byteSize() < bytes) {
            activations = arena.allocate(bytes, ALIGN);
        }
        for (int b = 0; b < batch; b++) {
            copyPadded(x, xOffset + b * xStride, cols, activations, 4L * b * ld, ld);
        }
    }

    private void ensureDecodeBuffers(int ld, int scalarCols) {
        long bytes = 4L * DECODE_ROWS * ld;
        for (int i = 0; i < decoded.length; i++) {
            if (decoded[i].byteSize() < bytes) {
                decoded[i] = arena.allocate(bytes, ALIGN);
            }
            if (scalarRows[i].length < scalarCols) {
                scalarRows[i] = new float[scalarCols];
            }
        }
    }

    /** {@code src[from, from + cols)} to the floats at byte {@code at} of {@code dst}, then zeros up to {@code ld} floats. */
    private static void copyPadded(float[] src, int from, int cols, MemorySegment dst, long at, int ld) {
        MemorySegment.copy(src, from, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, at, cols);
        for (int c = cols; c < ld; c++) {
            dst.set(ValueLayout.JAVA_FLOAT_UNALIGNED, at + 4L * c, 0f);
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int unit) {
        return ceilDiv(a, unit) * unit;
    }

    /** The reusable parallel job: one task is a run of {@code rowsPerTask} output rows. */
    private final class Job implements WorkerPool.Task {
        private WeightMatrix w;
        private int kind;
        private boolean fused;
        private boolean small;
        private boolean broadcast;
        private int rowsPerTask;
        private int ld;
        private int batch;
        private float[] y;
        private int yOffset;
        private int yStride;

        void set(WeightMatrix w, int kind, boolean fused, boolean small, boolean broadcast, int rowsPerTask, int ld,
                int batch, float[] y, int yOffset, int yStride) {
            this.w = w;
            this.kind = kind;
            this.fused = fused;
            this.small = small;
            this.broadcast = broadcast;
            this.rowsPerTask = rowsPerTask;
            this.ld = ld;
            this.batch = batch;
            this.y = y;
            this.yOffset = yOffset;
            this.yStride = yStride;
        }

        void clear() {
            w = null;
            y = null;
        }

        @Override
        public void run(int taskIndex, int workerIndex) {
            int first = taskIndex * rowsPerTask;
            int end = Math.min(w.rows(), first + rowsPerTask);
            int cols = w.cols();
            long rowBytes = w.rowBytes();
            if (fused) {
                if (batch == 1) {
                    rowKernels.dotRows(kind, w.data(), rowBytes, cols, first, end, activations, y, yOffset + first);
                    return;
                }
                if (small && batch <= RowKernels.MAX_SMALL_BATCH) {
                    rowKernels.dotBatch(kind, batch, w.data(), rowBytes, cols, first, end, activations, 4L * ld, y,
                            yOffset + first, yStride);
                    return;
                }
                if (small) {
                    int firstPart = firstPart(batch);
                    for (int sub = first; sub < end; sub += ROW_PASS_ROWS) {
                        int subEnd = Math.min(end, sub + ROW_PASS_ROWS);
                        rowKernels.dotBatch(kind, firstPart, w.data(), rowBytes, cols, sub, subEnd, activations, 4L * ld,
                                y, yOffset + sub, yStride);
                        rowKernels.dotBatch(kind, batch - firstPart, w.data(), rowBytes, cols, sub, subEnd, secondPart,
                                4L * ld, y, yOffset + firstPart * yStride + sub, yStride);
                    }
                    return;
                }
                for (int sub = first; sub < end; sub += ROW_PASS_ROWS) {
                    int subEnd = Math.min(end, sub + ROW_PASS_ROWS);
                    for (int b = 0; b < batch; b++) {
                        rowKernels.dotRows(kind, w.data(), rowBytes, cols, sub, subEnd, activationRows[b], y,
                                yOffset + b * yStride + sub);
                    }
                }
                return;
            }
            MemorySegment buf = decoded[workerIndex];
            for (int r = first; r < end; r += DECODE_ROWS) {
                int n = Math.min(DECODE_ROWS, end - r);
                if (kind >= 0) {
                    rowKernels.decodeRows(kind, w.data(), rowBytes, cols, r, n, buf, ld);
                } else if (groupLanes && w.layout() == WeightMatrix.Layout.ROW_GROUPS) {
                    RowGroups.decodeRows(w.type(), w.data(), cols, r, n, buf, ld, decodedGroups[workerIndex]);
                } else {
                    decodeScalar(r, n, buf, scalarRows[workerIndex]);
                }
                if (broadcast) {
                    batchKernels.multiply(buf, n, ld, activations, batch, y, yOffset + r, yStride, scratch[workerIndex]);
                } else {
                    denseKernels.denseTile(buf, n, activations, batch, ld, y, yOffset + r, yStride);
                }
            }
        }

        private void decodeScalar(int firstRow, int n, MemorySegment buf, float[] row) {
            int cols = w.cols();
            for (int i = 0; i < n; i++) {
                w.dequantizeRow(firstRow + i, row, 0);
                copyPadded(row, 0, cols, buf, 4L * i * ld, ld);
            }
        }
    }

    /** Runs of whole weight groups of a {@link WeightMatrix.Layout#ROW_GROUPS} matrix, one per task. */
    private final class GroupJob implements WorkerPool.Task {
        private WeightMatrix w;
        private float[] x;
        private int xOffset;
        private int xStride;
        private int batch;
        private int ld;
        private int groupsPerTask;
        private float[] y;
        private int yOffset;
        private int yStride;

        void set(WeightMatrix w, float[] x, int xOffset, int xStride, int batch, int ld, int groupsPerTask, float[] y,
                int yOffset, int yStride) {
            this.w = w;
            this.x = x;
            this.xOffset = xOffset;
            this.xStride = xStride;
            this.batch = batch;
            this.ld = ld;
            this.groupsPerTask = groupsPerTask;
            this.y = y;
            this.yOffset = yOffset;
            this.yStride = yStride;
        }

        void clear() {
            w = null;
            x = null;
            y = null;
        }

        @Override
        public void run(int taskIndex, int workerIndex) {
            int rows = w.rows();
            int cols = w.cols();
            MemorySegment data = w.data();
            GgmlType type = w.type();
            long groupBytes = RowGroups.groupBytes(type, cols);
            int firstGroup = taskIndex * groupsPerTask;
            int endGroup = Math.min(ceilDiv(rows, RowGroups.GROUP_ROWS), firstGroup + groupsPerTask);
            float[] tmp = scratch[workerIndex];
            float[] dec = decodedGroups[workerIndex];
            for (int g = firstGroup; g < endGroup; g++) {
                long go = g * groupBytes;
                int r0 = g * RowGroups.GROUP_ROWS;
                int m = Math.min(RowGroups.GROUP_ROWS, rows - r0);
                if (batch > GROUP_ROW_BY_ROW_LIMIT) {
                    // The passes copy the first m of their sums out themselves.
                    RowGroups.multiply(type, data, go, cols, dec, sums[workerIndex], packedGroups, 0, ld, batch, y,
                            yOffset + r0, yStride, m);
                    continue;
                }
                // Row by row: a last, partial group writes all 16 outputs of each row into scratch, 16
                // floats apart, and the real ones are copied out.
                boolean full = m == RowGroups.GROUP_ROWS;
                float[] out = full ? y : tmp;
                int at = full ? yOffset + r0 : 0;
                int stride = full ? yStride : RowGroups.GROUP_ROWS;
                int b = 0;
                for (; b + 1 < batch; b += 2) {
                    RowGroups.pair(type, data, go, cols, x, xOffset + b * xStride, xOffset + (b + 1) * xStride, out,
                            at + b * stride, at + (b + 1) * stride);
                }
                if (b < batch) {
                    RowGroups.single(type, data, go, cols, x, xOffset + b * xStride, out, at + b * stride);
                }
                for (b = 0; !full && b < batch; b++) {
                    System.arraycopy(tmp, b * RowGroups.GROUP_ROWS, y, yOffset + b * yStride + r0, m);
                }
            }
        }
    }
}
