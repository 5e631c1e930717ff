package dev.infera.jmh;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.quant.Quantize;
import dev.infera.cpu.kernels.SimdMatMul;
import dev.infera.cpu.kernels.WeightMatrix;
import dev.infera.cpu.kernels.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SimdMatMul on the matrix shapes of the synth presets, per weight type and batch size: SmolLM2-135M
 * (hidden 576, KV 192, FFN 1536, vocab 49152), Qwen2.5-0.5B (hidden 896, KV 128, FFN 4864) and
 * Llama-3.2-1B (hidden 2048, KV 512, FFN 8192). Pick shapes with {@code -p shape=...}; the default
 * list is every shape. Besides the primary score (calls per second) JMH prints two rates per second:
 * {@code flops} = 2 * rows * cols * batch per call, and {@code weightBytes} = bytes of the weight matrix
 * per call (every call reads the whole matrix once). Divide by 1e9 for GFLOP/s and GB/s.
 *
 * <p>K-quant types (256-element blocks) cannot hold 576- or 896-column rows; for them the columns are
 * rounded up to whole blocks (576 becomes 768, 896 becomes 1024).
 *
 * <p>So that batch-1 numbers measure memory, not cache, bandwidth, each trial cycles through enough
 * copies of the matrix to occupy at least {@code footprintMiB} of memory.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class MatMulBenchmark {

    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    @Param({"1", "8", "32", "64"})
    public int batch;

    /**
     * rows x cols: per preset attention Q/O, attention K/V, FFN up/gate, FFN down; SmolLM2 also its
     * (tied) output matrix.
     */
    @Param({"576x576", "192x576", "1536x576", "576x1536", "49152x576",
        "896x896", "128x896", "4864x896", "896x4864",
        "2048x2048", "512x2048", "8192x2048", "2048x8192"})
    public String shape;

    @Param({"2"})
    public int threads;

    @Param({"256"})
    public int footprintMiB;

    /**
     * "preferred": each matrix in the layout the product asks for (Q8_0 and Q4_0 in 16-row groups
     * with 16 lanes, what the engine runs); "rows": GGML's row layout for every type; "groups": 16-row groups
     * for the types that have them (Q8_0, Q4_0), rows for the others.
     */
    @Param({"preferred"})
    public String layout;

    private Arena arena;
    private WorkerPool pool;
    private SimdMatMul matMul;
    private WeightMatrix[] copies;
    private float[] x;
    private float[] y;
    private int next;

    /** Rates JMH reports next to the primary score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Work {
        public long flops;
        public long weightBytes;
    }

    @Setup(Level.Trial)
    public void setUp() {
        GgmlType t = GgmlType.valueOf(type);
        String[] dims = shape.split("x");
        int rows = Integer.parseInt(dims[0]);
        // K-quant rows hold whole 256-element blocks: 576 columns become 768 for them (the rates
        // below are computed from the matrix actually used).
        int cols = Math.ceilDiv(Integer.parseInt(dims[1]), t.blockSize()) * t.blockSize();
        arena = Arena.ofShared();
        MemorySegment first = quantizedRandom(t, rows, cols);
        int numCopies = (int) Math.max(1, Math.min(64, (footprintMiB << 20) / first.byteSize()));
        copies = new WeightMatrix[numCopies];
        pool = new WorkerPool(threads);
        matMul = new SimdMatMul(pool);
        WeightMatrix.Layout wanted = switch (layout) {
            case "rows" -> WeightMatrix.Layout.ROWS;
            case "groups" -> WeightMatrix.Layout.ROW_GROUPS.holds(t) ? WeightMatrix.Layout.ROW_GROUPS
                    : WeightMatrix.Layout.ROWS;
            case "preferred" -> matMul.preferredLayout(t);
            default -> throw new IllegalArgumentException("layout must be preferred, rows or groups, got " + layout);
        };
        WeightMatrix rowLayout = new WeightMatrix(t, first, rows, cols);
        for (int i = 0; i < numCopies; i++) {
            if (wanted == WeightMatrix.Layout.ROWS) {
                MemorySegment seg = i == 0 ? first : arena.allocate(first.byteSize(), 64).copyFrom(first);
                copies[i] = new WeightMatrix(t, seg, rows, cols);
            } else {
                copies[i] = rowLayout.regroupedInto(arena.allocate(WeightMatrix.byteSize(t, rows, cols, wanted), 64));
            }
        }
        Random random = new Random(1);
        x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        y = new float[batch * rows];
    }

    /** Realistic block contents (scales, nibbles) without quantizing every row: 64 quantized rows, repeated. */
    private MemorySegment quantizedRandom(GgmlType t, int rows, int cols) {
        long rowBytes = t.byteSize(cols);
        int distinct = Math.min(rows, 64);
        Random random = new Random(42);
        float[] row = new float[cols];
        MemorySegment seg = arena.allocate(rowBytes * rows, 64);
        for (int r = 0; r < distinct; r++) {
            for (int c = 0; c < cols; c++) {
                row[c] = (float) random.nextGaussian() * 0.02f;
            }
            Quantize.row(t, row, 0, cols, seg, r * rowBytes);
        }
        for (int r = distinct; r < rows; r++) {
            MemorySegment.copy(seg, (r % distinct) * rowBytes, seg, r * rowBytes, rowBytes);
        }
        return seg;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float matmul(Work work) {
        WeightMatrix w = copies[next];
        next = next + 1 == copies.length ? 0 : next + 1;
        matMul.apply(w, x, batch, y);
        work.flops += 2L * w.rows() * w.cols() * batch;
        work.weightBytes += w.byteSize();
        return y[0];
    }
}
