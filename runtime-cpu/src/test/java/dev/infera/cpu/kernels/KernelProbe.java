package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.management.ManagementFactory;
import jdk.incubator.vector.FloatVector;

/**
 * A measuring tool, not a test: single-thread rates of the kernel parts for one weight type on a
 * cache-resident 512 x 1536 matrix, timed in thread CPU time so that other processes on a shared
 * machine distort it less than wall-clock time would, plus bytes allocated (boxed vectors show up
 * there). Prints decode (rows into the aligned buffer), fused dot (batch 1), dense tiles at batch 1
 * and 8. Run from the repository root after {@code ./mvnw -q -o test-compile -pl runtime-cpu -am}:
 * <pre>
 * $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -cp runtime-cpu/target/test-classes:runtime-cpu/target/classes:runtime-core/target/classes:runtime-api/target/classes dev.infera.cpu.kernels.KernelProbe Q8_0 Q4_K
 * </pre>
 */
public final class KernelProbe {

    private KernelProbe() {
    }

    public static void main(String[] args) {
        for (String name : args) {
            probe(GgmlType.valueOf(name));
        }
    }

    private static void probe(GgmlType type) {
        int rows = 512;
        int cols = 1536;
        WeightMatrix w = TestMatrices.random(type, rows, cols, 1);
        MemorySegment data = Arena.ofAuto().allocate(w.byteSize(), 64).copyFrom(w.data());
        RowKernels kernels = new RowKernels(FloatVector.SPECIES_PREFERRED);
        DenseKernels dense = SpeciesSpecializer.instantiate(MethodHandles.lookup(), DenseKernels.class,
                "DenseTileKernels", FloatVector.SPECIES_PREFERRED);
        int kind = RowKernels.kindOf(type);
        MemorySegment buf = Arena.ofAuto().allocate(4L * 16 * cols, 64);
        MemorySegment x = Arena.ofAuto().allocate(4L * 8 * cols, 64);
        float[] y = new float[rows * 8];
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int reps = 100;
        double elements = (double) reps * rows * cols;
        for (int round = 0; round < 12; round++) {
            long bytes0 = threads.getCurrentThreadAllocatedBytes();
            long t0 = threads.getCurrentThreadCpuTime();
            for (int rep = 0; rep < reps; rep++) {
                for (int r = 0; r < rows; r += 16) {
                    kernels.decodeRows(kind, data, w.rowBytes(), cols, r, 16, buf, cols);
                }
            }
            long t1 = threads.getCurrentThreadCpuTime();
            for (int rep = 0; rep < reps; rep++) {
                kernels.dotRows(kind, data, w.rowBytes(), cols, 0, rows, x, y, 0);
            }
            long t2 = threads.getCurrentThreadCpuTime();
            for (int rep = 0; rep < reps; rep++) {
                for (int r = 0; r < rows; r += 16) {
                    dense.denseTile(buf, 16, x, 1, cols, y, r, rows);
                }
            }
            long t3 = threads.getCurrentThreadCpuTime();
            for (int rep = 0; rep < reps; rep++) {
                for (int r = 0; r < rows; r += 16) {
                    dense.denseTile(buf, 16, x, 8, cols, y, r, rows);
                }
            }
            long t4 = threads.getCurrentThreadCpuTime();
            long allocated = threads.getCurrentThreadAllocatedBytes() - bytes0;
            if (round >= 10) {
                System.out.printf("%-5s decode %5.1f Gelem/s | fused dot %5.1f Gelem/s = %5.1f GB/s of weights"
                        + " | dense b1 %5.1f Gelem/s | dense b8 %5.1f GFLOP/s | allocated %d B%n",
                        type, elements / (t1 - t0), elements / (t2 - t1),
                        elements / (t2 - t1) * w.rowBytes() / cols, elements / (t3 - t2),
                        16 * elements / (t4 - t3), allocated);
            }
        }
    }
}
