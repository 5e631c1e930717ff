package dev.infera.cuda;

import dev.infera.cuda.plan.Kernel;
import java.lang.foreign.MemorySegment;

/**
 * The device operations the CUDA backend is built on, all on one stream of one context: memory,
 * copies, kernel launches, cuBLAS GEMMs and graph capture. {@link DeviceSession} does them on a GPU
 * through the driver API; tests substitute an emulator that runs the same launches on the CPU, so the
 * backend's planning, uploads and bookkeeping are checked where there is no GPU.
 */
interface Gpu extends AutoCloseable {

    /** An instantiated CUDA graph. */
    interface Graph {
        void launch();

        void destroy();
    }

    String deviceName();

    /** Makes the context current on the calling thread. */
    void makeCurrent();

    /** Free device memory, in bytes. */
    long freeMemory();

    /** Device memory (256-byte aligned); returns its address. */
    long malloc(long bytes);

    void free(long pointer);

    /** Page-locked host memory for asynchronous copies. */
    MemorySegment mallocHost(long bytes);

    void freeHost(MemorySegment host);

    /** A copy to the device that has completed when the call returns. */
    void copyToDevice(long dst, MemorySegment src, long bytes);

    /** Stream-ordered copies; the host memory must stay untouched until {@link #synchronize()}. */
    void copyToDeviceAsync(long dst, MemorySegment src, long bytes);

    void copyToHostAsync(MemorySegment dst, long src, long bytes);

    /** Sets {@code count} 32-bit words at {@code dst} to {@code value}, in stream order. */
    void fillAsync(long dst, int value, long count);

    /** Waits until everything enqueued has run. */
    void synchronize();

    /** Launches a kernel; {@code params} is the {@code void*[]} of pointers to the argument values. */
    void launch(Kernel kernel, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes, MemorySegment params);

    /**
     * {@code C = A^T B} with F32 accumulation and F32 output, column-major: A is {@code k x m}
     * ({@code lda}), B {@code k x n} ({@code ldb}), C {@code m x n} ({@code ldc}); types are
     * {@code cudaDataType_t} values.
     */
    void gemm(int m, int n, int k, long a, int aType, int lda, long b, int bType, int ldb, long c, int ldc);

    /** Starts recording what is enqueued instead of running it. */
    void beginCapture();

    /** Stops recording and instantiates what was recorded. */
    Graph endCapture();

    @Override
    void close();
}
