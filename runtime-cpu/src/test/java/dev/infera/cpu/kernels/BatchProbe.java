package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.management.ManagementFactory;
import java.util.Random;
import jdk.incubator.vector.FloatVector;

/**
 * A measuring tool, not a test: single-thread GFLOP/s (thread CPU time) and bytes allocated of the
 * batched-product parts on one cache-resident matrix, old 4x4 dot tiles against the broadcast tiles,
 * per batch size, decoding included. Arguments: type rows cols batch... Run from the repository root
 * after {@code ./mvnw -q -o test-compile -pl runtime-cpu -am}:
 * <pre>
 * $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -cp runtime-cpu/target/test-classes:runtime-cpu/target/classes:runtime-core/target/classes:runtime-api/target/classes dev.infera.cpu.kernels.BatchProbe Q8_0 1536 576 8 32 64
 * </pre>
 */
public final class BatchProbe {

    private BatchProbe() {
    }

    public static void main(String[] args) {
        GgmlType type = GgmlType.valueOf(args[0]);
        int rows = Integer.parseInt(args[1]);
        int cols = Integer.parseInt(args[2]);
        WeightMatrix w = TestMatrices.random(type, rows, cols, 1);
        MemorySegment data = Arena.ofAuto().allocate(w.byteSize(), 64).copyFrom(w.data());
        var species = FloatVector.SPECIES_PREFERRED;
        RowKernels kernels = new RowKernels(species);
        DenseKernels dense = SpeciesSpecializer.instantiate(MethodHandles.lookup(), DenseKernels.class,
                "DenseTileKernels", species);
        BatchKernels batched = SpeciesSpecializer.instantiate(MethodHandles.lookup(), BatchKernels.class,
                "BroadcastTileKernels", species);
        int kind = RowKernels.kindOf(type);
        int ld = (cols + 15) / 16 * 16;
        MemorySegment buf = Arena.ofAuto().allocate(4L * 16 * ld, 64);
        float[] scratch = new float[BatchKernels.SCRATCH_FLOATS];
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int a = 3; a < args.length; a++) {
            int batch = Integer.parseInt(args[a]);
            float[] x = TestMatrices.gaussian(new Random(2), batch * cols);
            MemorySegment plain = Arena.ofAuto().allocate(4L * batch * ld, 64);
            for (int b = 0; b < batch; b++) {
                MemorySegment.copy(x, b * cols, plain, BlockBits.FLOAT_LE, 4L * b * ld, cols);
            }
            MemorySegment packed = Arena.ofAuto().allocate(4 * batched.packedFloats(batch, ld), 64);
            float[] y = new float[batch * rows];
            int[] lanes = new int[16];
            int reps = Math.max(1, 2000 / batch);
            double flops = 2.0 * reps * rows * cols * batch;
            for (int round = 0; round < 8; round++) {
                long bytes0 = threads.getCurrentThreadAllocatedBytes();
                long t0 = threads.getCurrentThreadCpuTime();
                for (int rep = 0; rep < reps; rep++) {
                    for (int r = 0; r < rows; r += 16) {
                        int n = Math.min(16, rows - r);
                        kernels.decodeRows(kind, data, w.rowBytes(), cols, r, n, buf, ld);
                        dense.denseTile(buf, n, plain, batch, ld, y, r, rows);
                    }
                }
                long t1 = threads.getCurrentThreadCpuTime();
                long bytes1 = threads.getCurrentThreadAllocatedBytes();
                for (int rep = 0; rep < reps; rep++) {
                    batched.pack(x, 0, cols, batch, cols, ld, 0, ld, lanes, packed);
                    for (int r = 0; r < rows; r += 16) {
                        int n = Math.min(16, rows - r);
                        kernels.decodeRows(kind, data, w.rowBytes(), cols, r, n, buf, ld);
                        batched.multiply(buf, n, ld, packed, batch, y, r, rows, scratch);
                    }
                }
                long t2 = threads.getCurrentThreadCpuTime();
                long bytes2 = threads.getCurrentThreadAllocatedBytes();
                for (int rep = 0; rep < reps; rep++) {
                    for (int r = 0; r < rows; r += 16) {
                        kernels.decodeRows(kind, data, w.rowBytes(), cols, r, Math.min(16, rows - r), buf, ld);
                    }
                }
                long t3 = threads.getCurrentThreadCpuTime();
                for (int rep = 0; rep < reps; rep++) {
                    batched.pack(x, 0, cols, batch, cols, ld, 0, ld, lanes, packed);
                }
                long t4 = threads.getCurrentThreadCpuTime();
                for (int rep = 0; rep < reps; rep++) {
                    for (int r = 0; r < rows; r += 16) {
                        batched.multiply(buf, Math.min(16, rows - r), ld, packed, batch, y, r, rows, scratch);
                    }
                }
                long t5 = threads.getCurrentThreadCpuTime();
                if (round >= 5) {
                    System.out.printf("      multiply alone (one decoded block) %6.1f GFLOP/s%n", flops / (t5 - t4));
                    System.out.printf("%-5s %dx%d batch %3d: old tiles %6.1f GFLOP/s (%d B) | broadcast %6.1f GFLOP/s (%d B)"
                            + " | decode alone %5.1f Gelem/s | pack %.1f us%n", type, rows, cols, batch, flops / (t1 - t0),
                            bytes1 - bytes0, flops / (t2 - t1), bytes2 - bytes1,
                            (double) reps * rows * cols / (t3 - t2), (t4 - t3) / 1e3 / reps);
                }
            }
        }
    }
}
