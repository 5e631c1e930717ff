package dev.infera.cuda;

import dev.infera.cuda.plan.Arg;
import dev.infera.cuda.plan.DeviceOp;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Issues a planned step on the backend's stream: resolves each symbolic argument to an address or a
 * scalar, packs kernel parameters the way {@code cuLaunchKernel} takes them (an array of pointers to
 * the values) and calls cuBLAS for the GEMMs. The same calls run a step directly or, between
 * {@code cuStreamBeginCapture} and {@code cuStreamEndCapture}, record it into a CUDA graph; in both
 * cases the driver copies the parameter values at the call, so they live only as long as one run.
 */
final class LaunchExecutor {

    /** Turns symbolic buffer and weight arguments into device addresses. */
    interface Addresses {
        long of(Arg.Ptr pointer);

        long of(Arg.Weight weight);
    }

    private final Gpu gpu;

    LaunchExecutor(Gpu gpu) {
        this.gpu = gpu;
    }

    void run(List<DeviceOp> ops, Addresses addresses) {
        try (Arena arena = Arena.ofConfined()) {
            for (DeviceOp op : ops) {
                switch (op) {
                    case DeviceOp.Launch l -> launch(l, addresses, arena);
                    case DeviceOp.Gemm g -> gemm(g, addresses);
                }
            }
        }
    }

    private void launch(DeviceOp.Launch l, Addresses addresses, Arena arena) {
        List<Arg> args = l.args();
        MemorySegment values = arena.allocate(8L * args.size(), 8);
        MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS, args.size());
        for (int i = 0; i < args.size(); i++) {
            long at = 8L * i;
            switch (args.get(i)) {
                case Arg.Ptr p -> values.set(ValueLayout.JAVA_LONG, at, addresses.of(p));
                case Arg.Weight w -> values.set(ValueLayout.JAVA_LONG, at, addresses.of(w));
                case Arg.I32 v -> values.set(ValueLayout.JAVA_INT, at, v.value());
                case Arg.I64 v -> values.set(ValueLayout.JAVA_LONG, at, v.value());
                case Arg.F32 v -> values.set(ValueLayout.JAVA_FLOAT, at, v.value());
                case Arg.Null n -> values.set(ValueLayout.JAVA_LONG, at, 0L);
            }
            pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(at, 8));
        }
        gpu.launch(l.kernel(), l.gridX(), l.gridY(), l.gridZ(), l.blockThreads(), l.sharedBytes(), pointers);
    }

    private void gemm(DeviceOp.Gemm g, Addresses addresses) {
        gpu.gemm(g.m(), g.n(), g.k(), resolve(g.weights(), addresses), g.weightType(), g.k(),
                resolve(g.input(), addresses), g.inputType(), g.k(), resolve(g.output(), addresses), g.ldc());
    }

    private static long resolve(Arg arg, Addresses addresses) {
        return switch (arg) {
            case Arg.Ptr p -> addresses.of(p);
            case Arg.Weight w -> addresses.of(w);
            default -> throw new IllegalArgumentException("a GEMM operand must be a buffer or a weight, got " + arg);
        };
    }
}
