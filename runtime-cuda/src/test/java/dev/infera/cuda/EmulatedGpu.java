package dev.infera.cuda;

import dev.infera.cuda.plan.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link Gpu} that runs on the CPU, for tests where there is no GPU: "device" memory is native memory
 * whose addresses stand in for device pointers, and every access a kernel makes goes through a view
 * that ends where its allocation ends (so an undersized buffer fails like compute-sanitizer would
 * report it, instead of passing by luck). Launches run {@link KernelEmulator}'s Java port of each CUDA
 * kernel over the launch's grid; GEMMs run cuBLAS's column-major semantics; capture records launches
 * (with their parameter values copied, as the driver does) and a graph replays them.
 */
final class EmulatedGpu implements Gpu {

    /** One recorded operation of a captured graph. */
    private interface Op {
        void run();
    }

    private final Arena arena = Arena.ofShared();
    private final TreeMap<Long, MemorySegment> allocations = new TreeMap<>();
    private final KernelEmulator kernels = new KernelEmulator(this);
    private List<Op> capturing;
    private long launches;
    private long graphLaunches;
    private boolean closed;
    private int liveAtClose = -1;

    @Override
    public String deviceName() {
        return "emulated GPU";
    }

    @Override
    public void makeCurrent() {
        if (closed) {
            throw new IllegalStateException("emulated GPU is closed");
        }
    }

    @Override
    public long freeMemory() {
        return 1L << 34;
    }

    @Override
    public long malloc(long bytes) {
        MemorySegment s = arena.allocate(Math.max(1, bytes), 256);
        allocations.put(s.address(), s);
        return s.address();
    }

    @Override
    public void free(long pointer) {
        if (allocations.remove(pointer) == null) {
            throw new IllegalStateException("free of " + Long.toHexString(pointer) + ", which is not an allocation");
        }
    }

    @Override
    public MemorySegment mallocHost(long bytes) {
        return arena.allocate(Math.max(1, bytes), 64);
    }

    @Override
    public void freeHost(MemorySegment host) {
        // released with the arena
    }

    /** The device memory from {@code pointer} to the end of its allocation. */
    MemorySegment view(long pointer) {
        Map.Entry<Long, MemorySegment> e = allocations.floorEntry(pointer);
        if (e == null || pointer >= e.getKey() + e.getValue().byteSize()) {
            throw new IndexOutOfBoundsException("device address " + Long.toHexString(pointer) + " is in no allocation");
        }
        return e.getValue().asSlice(pointer - e.getKey());
    }

    @Override
    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        MemorySegment.copy(src, 0, view(dst), 0, bytes);
    }

    @Override
    public void copyToDeviceAsync(long dst, MemorySegment src, long bytes) {
        notCapturing("cuMemcpyHtoDAsync");
        copyToDevice(dst, src, bytes);
    }

    @Override
    public void copyToHostAsync(MemorySegment dst, long src, long bytes) {
        notCapturing("cuMemcpyDtoHAsync");
        MemorySegment.copy(view(src), 0, dst, 0, bytes);
    }

    @Override
    public void fillAsync(long dst, int value, long count) {
        notCapturing("cuMemsetD32Async");
        MemorySegment v = view(dst);
        for (long i = 0; i < count; i++) {
            v.setAtIndex(ValueLayout.JAVA_INT, i, value);
        }
    }

    private void notCapturing(String call) {
        if (capturing != null) {
            throw new IllegalStateException(call + " during graph capture");
        }
    }

    @Override
    public void synchronize() {
        notCapturing("cuStreamSynchronize");
    }

    @Override
    public void launch(Kernel kernel, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes,
            MemorySegment params) {
        long[] raw = new long[KernelEmulator.parameterCount(kernel)];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = params.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(8).get(ValueLayout.JAVA_LONG, 0);
        }
        Op op = () -> {
            launches++;
            kernels.run(kernel, gridX, gridY, gridZ, blockThreads, sharedBytes, raw);
        };
        if (capturing != null) {
            capturing.add(op);
        } else {
            op.run();
        }
    }

    @Override
    public void gemm(int m, int n, int k, long a, int aType, int lda, long b, int bType, int ldb, long c, int ldc) {
        Op op = () -> kernels.gemm(m, n, k, a, aType, lda, b, bType, ldb, c, ldc);
        if (capturing != null) {
            capturing.add(op);
        } else {
            op.run();
        }
    }

    @Override
    public void beginCapture() {
        notCapturing("cuStreamBeginCapture");
        capturing = new ArrayList<>();
    }

    @Override
    public Graph endCapture() {
        if (capturing == null) {
            throw new IllegalStateException("cuStreamEndCapture without a capture");
        }
        List<Op> ops = List.copyOf(capturing);
        capturing = null;
        return new Graph() {
            private boolean destroyed;

            @Override
            public void launch() {
                if (destroyed) {
                    throw new IllegalStateException("launch of a destroyed graph");
                }
                graphLaunches++;
                ops.forEach(Op::run);
            }

            @Override
            public void destroy() {
                destroyed = true;
            }
        };
    }

    /** Kernel launches run so far (replayed ones included). */
    long launches() {
        return launches;
    }

    long graphLaunches() {
        return graphLaunches;
    }

    /** Allocations not yet freed. */
    int liveAllocations() {
        return allocations.size();
    }

    /** Allocations still live when the GPU was closed (-1 before). */
    int liveAllocationsAtClose() {
        return liveAtClose;
    }

    @Override
    public void close() {
        closed = true;
        liveAtClose = allocations.size();
        allocations.clear();
        arena.close();
    }
}
