package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Random;
import jdk.incubator.vector.FloatVector;

/**
 * A measuring tool, not a test: one thread, batches 1-5, the small-batch kernels ({@link
 * RowKernels#dotBatch}, weights decoded once per call) against the row passes (the batch-1 kernel once
 * per activation row over runs of {@link SimdMatMul#ROW_PASS_ROWS} weight rows), on 576-column matrices
 * (768 for the K-quants)
 * rotated through 128 MiB so the weights come from memory as in a decode step. Thread CPU time per
 * call, weight GB/s, and bytes allocated per call (boxed vectors show up there). The batch order is
 * shuffled by the seed argument, so repeated fresh JVMs compile the kernels in different orders:
 * <pre>
 * $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -cp runtime-cpu/target/test-classes:runtime-cpu/target/classes:runtime-core/target/classes:runtime-api/target/classes dev.infera.cpu.kernels.SmallBatchProbe Q8_0 SEED
 * </pre>
 */
public final class SmallBatchProbe {

    private static final int ROWS = 4096;

    private SmallBatchProbe() {
    }

    public static void main(String[] args) {
        GgmlType type = GgmlType.valueOf(args[0]);
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        RowKernels kernels = new RowKernels(FloatVector.SPECIES_PREFERRED);
        int kind = RowKernels.kindOf(type);
        int cols = type.blockSize() == 256 ? 768 : 576;
        WeightMatrix w = TestMatrices.random(type, ROWS, cols, 1);
        int copies = (int) Math.max(1, (128L << 20) / w.byteSize());
        MemorySegment[] data = new MemorySegment[copies];
        for (int i = 0; i < copies; i++) {
            data[i] = Arena.ofAuto().allocate(w.byteSize(), 64).copyFrom(w.data());
        }
        long xStride = 4L * cols;
        MemorySegment x = Arena.ofAuto().allocate(5 * xStride, 64);
        Random random = new Random(seed);
        for (long at = 0; at < x.byteSize(); at += 4) {
            x.set(java.lang.foreign.ValueLayout.JAVA_FLOAT, at, (float) random.nextGaussian());
        }
        float[] y = new float[5 * ROWS];
        MemorySegment[] xRows = new MemorySegment[5];
        for (int b = 0; b < 5; b++) {
            xRows[b] = x.asSlice(b * xStride, xStride);
        }
        int[] order = {1, 2, 3, 4, 5};
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int reps = 60;
        for (int round = 0; round < 6; round++) {
            StringBuilder line = new StringBuilder("round " + round + ":");
            for (int batch : order) {
                for (int newPath = 0; newPath <= 1; newPath++) {
                    if (newPath == 1 && !kernels.hasSmallBatch(kind, batch)) {
                        continue;
                    }
                    long bytes0 = threads.getCurrentThreadAllocatedBytes();
                    long t0 = threads.getCurrentThreadCpuTime();
                    for (int rep = 0; rep < reps; rep++) {
                        MemorySegment m = data[rep % copies];
                        if (newPath == 1) {
                            kernels.dotBatch(kind, batch, m, w.rowBytes(), cols, 0, ROWS, x, xStride, y, 0, ROWS);
                        } else {
                            rowPasses(kernels, kind, batch, m, w.rowBytes(), cols, xRows, y);
                        }
                    }
                    double ns = (threads.getCurrentThreadCpuTime() - t0) / (double) reps;
                    long bytes = (threads.getCurrentThreadAllocatedBytes() - bytes0) / reps;
                    line.append(String.format(" b%d%s %.0fus %.1fGB/s %dB", batch, newPath == 1 ? "new" : "old",
                            ns / 1e3, w.byteSize() / ns, bytes));
                }
            }
            System.out.println(line);
        }
    }

    private static void rowPasses(RowKernels kernels, int kind, int batch, MemorySegment m, long rowBytes, int cols,
            MemorySegment[] xRows, float[] y) {
        for (int sub = 0; sub < ROWS; sub += SimdMatMul.ROW_PASS_ROWS) {
            int end = Math.min(ROWS, sub + SimdMatMul.ROW_PASS_ROWS);
            for (int b = 0; b < batch; b++) {
                kernels.dotRows(kind, m, rowBytes, cols, sub, end, xRows[b], y, b * ROWS + sub);
            }
        }
    }
}
