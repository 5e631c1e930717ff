package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import jdk.incubator.vector.FloatVector;

/**
 * A measuring tool, not a test: single-thread rate of batch-1 dot entry points of
 * {@code QuantDotKernels} (any static method with the row-loop signature, so variants can be compared
 * in one JVM) on decode shapes, in thread CPU time, with the bytes allocated. {@code resident} keeps
 * one copy of the matrix (cache-resident for small shapes); {@code stream} cycles through copies
 * filling 256 MiB so that weights come from memory; an optional fifth argument is the vector size in
 * bits (default: the preferred species). Run from the repository root after
 * {@code ./mvnw -q -o test-compile -pl runtime-cpu -am}:
 * <pre>
 * $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -cp runtime-cpu/target/test-classes:runtime-cpu/target/classes:runtime-core/target/classes:runtime-api/target/classes dev.infera.cpu.kernels.DotProbe Q8_0 q8_0Rows 576x576,1536x576 resident
 * </pre>
 */
public final class DotProbe {

    private static final MethodType DOT_TYPE = MethodType.methodType(void.class, MemorySegment.class, long.class,
            int.class, int.class, int.class, MemorySegment.class, float[].class, int.class);

    private static jdk.incubator.vector.VectorSpecies<Float> species;

    private DotProbe() {
    }

    public static void main(String[] args) throws Throwable {
        GgmlType type = GgmlType.valueOf(args[0]);
        String[] entries = args[1].split(",");
        String[] shapes = args[2].split(",");
        boolean stream = args.length > 3 && args[3].equals("stream");
        species = args.length > 4 ? FloatVector.SPECIES_PREFERRED.withShape(
                jdk.incubator.vector.VectorShape.forBitSize(Integer.parseInt(args[4]))) : FloatVector.SPECIES_PREFERRED;
        for (String shape : shapes) {
            String[] dims = shape.split("x");
            int rows = Integer.parseInt(dims[0]);
            int cols = Integer.parseInt(dims[1]);
            WeightMatrix w = TestMatrices.random(type, Math.min(rows, 64), cols, 1);
            long bytes = w.rowBytes() * rows;
            int copies = stream ? (int) Math.max(1, (256L << 20) / bytes) : 1;
            MemorySegment[] data = new MemorySegment[copies];
            for (int i = 0; i < copies; i++) {
                data[i] = Arena.ofAuto().allocate(bytes, 64);
                for (int r = 0; r < rows; r++) {
                    MemorySegment.copy(w.data(), (r % 64) * w.rowBytes(), data[i], r * w.rowBytes(), w.rowBytes());
                }
            }
            MemorySegment x = Arena.ofAuto().allocate(4L * cols, 64);
            for (int c = 0; c < cols; c++) {
                x.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, c, (float) Math.sin(c));
            }
            float[] y = new float[rows];
            for (String entry : entries) {
                MethodHandle h = entryPoint(entry);
                run(type, shape, entry, h, data, w.rowBytes(), rows, cols, x, y);
            }
        }
    }

    /** {@code name} of QuantDotKernels or {@code Template.name} of another template with the same entry points. */
    private static MethodHandle entryPoint(String entry) throws ReflectiveOperationException {
        int dot = entry.indexOf('.');
        String template = dot < 0 ? "QuantDotKernels" : entry.substring(0, dot);
        MethodHandles.Lookup lookup = SpeciesSpecializer.define(MethodHandles.lookup(), template, species);
        return lookup.findStatic(lookup.lookupClass(), entry.substring(dot + 1), DOT_TYPE);
    }

    private static void run(GgmlType type, String shape, String entry, MethodHandle h, MemorySegment[] data,
            long rowBytes, int rows, int cols, MemorySegment x, float[] y) throws Throwable {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long elementsPerRound = 200_000_000L;
        int reps = (int) Math.max(1, elementsPerRound / ((long) rows * cols));
        double best = 0;
        long allocated = 0;
        for (int round = 0; round < 8; round++) {
            long bytes0 = threads.getCurrentThreadAllocatedBytes();
            long t0 = threads.getCurrentThreadCpuTime();
            for (int rep = 0; rep < reps; rep++) {
                MemorySegment w = data[rep % data.length];
                h.invokeExact(w, rowBytes, cols, 0, rows, x, y, 0);
            }
            long t1 = threads.getCurrentThreadCpuTime();
            allocated = threads.getCurrentThreadAllocatedBytes() - bytes0;
            if (round >= 3) {
                best = Math.max(best, (double) reps * rows * cols / (t1 - t0));
            }
        }
        System.out.printf("%-5s %-10s %-16s %5.1f Gelem/s = %5.1f GB/s  allocated %d B  y[1]=%.4f%n", type, shape,
                entry, best, best * rowBytes / cols, allocated, y[Math.min(1, rows - 1)]);
    }
}
