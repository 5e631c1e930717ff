package dev.infera.cpu.kernels;

import dev.infera.core.quant.Dequantize;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast matrix product: Vector API kernels, parallel over output rows on a {@link WorkerPool}.
 *
 * <p>A worker decodes {@value #DECODE_ROWS} weight rows at a time into a float buffer of its own
 * (small enough to stay in L1/L2 cache) and multiplies them with all activation rows in 4x4 register
 * tiles (4x1 at batch 1), so the weights are read from memory and decoded exactly once per call
 * whatever the batch. Batch 1 (token-by-token decode) is bound by memory bandwidth, larger batches
 * by arithmetic; the same loop serves both. Types without a SIMD decoder (Q2_K, Q3_K, Q8_K) take the second path with the scalar
 * decoder from {@link Dequantize}; they are correct, not fast.
 *
 * <p>The species is fixed at construction and compiled as a constant into hidden copies of the kernel
 * templates (see {@link SpeciesSpecializer}). Calls are serialised on this object: per-worker buffers
 * and the reusable parallel job are owned by it, and steady-state calls allocate nothing.
 */
public final class SimdMatMul implements MatMul {

    static final int DECODE_ROWS = 16;
    private static final int TASKS_PER_THREAD = 4;

    private final WorkerPool pool;
    private final VectorSpecies<Float> species;
    private final RowKernels rowKernels;
    private final DenseKernels denseKernels;
    private final Job job = new Job();
    private float[][] decoded;

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
        this.rowKernels = SpeciesSpecializer.instantiate(RowKernels.class, "QuantRowKernels", species);
        this.denseKernels = SpeciesSpecializer.instantiate(DenseKernels.class, "DenseTileKernels", species);
        this.decoded = new float[pool.numThreads()][0];
    }

    public VectorSpecies<Float> species() {
        return species;
    }

    public WorkerPool pool() {
        return pool;
    }

    @Override
    public synchronized void apply(WeightMatrix w, float[] x, int xOffset, int xStride, int batch,
            float[] y, int yOffset, int yStride) {
        MatMul.checkArguments(w, x, xOffset, xStride, batch, y, yOffset, yStride);
        if (batch == 0) {
            return;
        }
        int kind = RowKernels.kindOf(w.type());
        if (kind < 0 && !Dequantize.supports(w.type())) {
            throw new IllegalArgumentException("cannot multiply with a weight matrix of type " + w.type());
        }
        int threads = pool.numThreads();
        int rowsPerTask = Math.max(DECODE_ROWS,
                roundUp(ceilDiv(w.rows(), threads * TASKS_PER_THREAD), DECODE_ROWS));
        ensureDecodeBuffers(w.cols());
        job.set(w, kind, rowsPerTask, x, xOffset, xStride, batch, y, yOffset, yStride);
        try {
            pool.parallelFor(ceilDiv(w.rows(), rowsPerTask), job);
        } finally {
            job.clear();
        }
    }

    private void ensureDecodeBuffers(int cols) {
        int needed = DECODE_ROWS * cols;
        for (int i = 0; i < decoded.length; i++) {
            if (decoded[i].length < needed) {
                decoded[i] = new float[needed];
            }
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
        private int rowsPerTask;
        private float[] x;
        private int xOffset;
        private int xStride;
        private int batch;
        private float[] y;
        private int yOffset;
        private int yStride;

        void set(WeightMatrix w, int kind, int rowsPerTask, float[] x, int xOffset, int xStride,
                int batch, float[] y, int yOffset, int yStride) {
            this.w = w;
            this.kind = kind;
            this.rowsPerTask = rowsPerTask;
            this.x = x;
            this.xOffset = xOffset;
            this.xStride = xStride;
            this.batch = batch;
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
            int first = taskIndex * rowsPerTask;
            int end = Math.min(w.rows(), first + rowsPerTask);
            int cols = w.cols();
            long rowBytes = w.rowBytes();
            float[] buf = decoded[workerIndex];
            for (int r = first; r < end; r += DECODE_ROWS) {
                int n = Math.min(DECODE_ROWS, end - r);
                if (kind >= 0) {
                    rowKernels.decodeRows(kind, w.data(), rowBytes, cols, r, n, buf);
                } else {
                    for (int i = 0; i < n; i++) {
                        Dequantize.row(w.type(), w.data(), (r + i) * rowBytes, buf, i * cols, cols);
                    }
                }
                denseKernels.denseTile(buf, n, cols, x, xOffset, xStride, batch, y, yOffset + r, yStride);
            }
        }
    }
}
