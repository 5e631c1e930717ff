package dev.infera.cuda;

import dev.infera.cuda.driver.CudaDriver;
import dev.infera.cuda.driver.CudaException;
import dev.infera.cuda.driver.Cublas;
import dev.infera.cuda.plan.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumMap;
import java.util.Map;

/**
 * One backend's hold on a GPU, the real {@link Gpu}: the device's primary context (retained, so it
 * lives as long as the session), a non-blocking stream, the kernel module loaded from the fatbin with
 * every {@link Kernel} resolved, and a cuBLAS handle on that stream with a fixed workspace (so GEMMs
 * captured into a graph never allocate). {@link #close()} gives it all back in reverse order.
 */
final class DeviceSession implements Gpu {

    private final CudaDriver driver;
    private final Cublas cublas;
    private final int device;
    private final String deviceName;
    private final Map<Kernel, MemorySegment> functions = new EnumMap<>(Kernel.class);
    private MemorySegment context;
    private MemorySegment stream;
    private MemorySegment module;
    private MemorySegment cublasHandle;
    private long cublasWorkspace;

    private DeviceSession(CudaDriver driver, Cublas cublas, int device) {
        this.driver = driver;
        this.cublas = cublas;
        this.device = device;
        this.deviceName = driver.deviceName(device);
    }

    static DeviceSession open(CudaDriver driver, Cublas cublas, int ordinal, long cublasWorkspaceBytes) {
        int status = driver.init();
        if (status != 0) {
            throw new CudaException("cuInit", status, driver.errorName(status), null);
        }
        DeviceSession s = new DeviceSession(driver, cublas, driver.device(ordinal));
        try {
            s.context = driver.retainPrimaryContext(s.device);
            driver.setCurrent(s.context);
            s.stream = driver.createStream(CudaDriver.STREAM_NON_BLOCKING);
            try (Arena arena = Arena.ofConfined()) {
                byte[] image = KernelImage.read();
                MemorySegment nativeImage = arena.allocate(image.length + 1L, 16);
                MemorySegment.copy(image, 0, nativeImage, ValueLayout.JAVA_BYTE, 0, image.length);
                s.module = driver.loadModule(nativeImage);
            }
            for (Kernel k : Kernel.values()) {
                s.functions.put(k, driver.function(s.module, k.symbol()));
            }
            s.cublasHandle = cublas.create();
            cublas.setStream(s.cublasHandle, s.stream);
            s.cublasWorkspace = driver.malloc(cublasWorkspaceBytes);
            cublas.setWorkspace(s.cublasHandle, s.cublasWorkspace, cublasWorkspaceBytes);
            return s;
        } catch (RuntimeException e) {
            try {
                s.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public String deviceName() {
        return deviceName;
    }

    @Override
    public void makeCurrent() {
        driver.setCurrent(context);
    }

    @Override
    public long freeMemory() {
        return driver.memoryInfo()[0];
    }

    @Override
    public long malloc(long bytes) {
        return driver.malloc(bytes);
    }

    @Override
    public void free(long pointer) {
        driver.free(pointer);
    }

    @Override
    public MemorySegment mallocHost(long bytes) {
        return driver.mallocHost(bytes);
    }

    @Override
    public void freeHost(MemorySegment host) {
        driver.freeHost(host);
    }

    @Override
    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        driver.copyToDevice(dst, src, bytes);
    }

    @Override
    public void copyToDeviceAsync(long dst, MemorySegment src, long bytes) {
        driver.copyToDeviceAsync(dst, src, bytes, stream);
    }

    @Override
    public void copyToHostAsync(MemorySegment dst, long src, long bytes) {
        driver.copyToHostAsync(dst, src, bytes, stream);
    }

    @Override
    public void fillAsync(long dst, int value, long count) {
        driver.memsetD32Async(dst, value, count, stream);
    }

    @Override
    public void synchronize() {
        driver.synchronize(stream);
    }

    @Override
    public void launch(Kernel kernel, int gridX, int gridY, int gridZ, int blockThreads, int sharedBytes,
            MemorySegment params) {
        driver.launch(functions.get(kernel), gridX, gridY, gridZ, blockThreads, 1, 1, sharedBytes, stream, params);
    }

    @Override
    public void gemm(int m, int n, int k, long a, int aType, int lda, long b, int bType, int ldb, long c, int ldc) {
        cublas.gemm(cublasHandle, Cublas.OP_T, Cublas.OP_N, m, n, k, a, aType, lda, b, bType, ldb, c, Cublas.CUDA_R_32F,
                ldc);
    }

    @Override
    public void beginCapture() {
        driver.beginCapture(stream);
    }

    @Override
    public Graph endCapture() {
        MemorySegment graph = driver.endCapture(stream);
        MemorySegment exec;
        try {
            exec = driver.instantiate(graph);
        } finally {
            driver.destroyGraph(graph);
        }
        return new Graph() {
            @Override
            public void launch() {
                driver.launchGraph(exec, stream);
            }

            @Override
            public void destroy() {
                driver.destroyGraphExec(exec);
            }
        };
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        if (context != null) {
            driver.setCurrent(context);
        }
        Runnable[] steps = {
            () -> {
                if (cublasHandle != null) {
                    cublas.destroy(cublasHandle);
                }
            },
            () -> {
                if (cublasWorkspace != 0) {
                    driver.free(cublasWorkspace);
                }
            },
            () -> {
                if (module != null) {
                    driver.unloadModule(module);
                }
            },
            () -> {
                if (stream != null) {
                    driver.destroyStream(stream);
                }
            },
            () -> {
                if (context != null) {
                    driver.releasePrimaryContext(device);
                }
            }
        };
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        cublasHandle = null;
        cublasWorkspace = 0;
        module = null;
        stream = null;
        context = null;
        if (failure != null) {
            throw failure;
        }
    }
}
