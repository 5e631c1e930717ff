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
 * One backend's hold on a GPU: the device's primary context (retained, so it lives as long as the
 * session), a non-blocking stream, the kernel module loaded from the fatbin with every {@link Kernel}
 * resolved, and a cuBLAS handle on that stream with a fixed workspace. {@link #close()} gives it all
 * back in reverse order.
 */
final class DeviceSession implements AutoCloseable {

    private final CudaDriver driver;
    private final Cublas cublas;
    private final int device;
    private final String deviceName;
    private MemorySegment context;
    private MemorySegment stream;
    private MemorySegment module;
    private MemorySegment cublasHandle;
    private long cublasWorkspace;
    private LaunchExecutor executor;

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
            Map<Kernel, MemorySegment> functions = new EnumMap<>(Kernel.class);
            try (Arena arena = Arena.ofConfined()) {
                byte[] image = KernelImage.read();
                MemorySegment nativeImage = arena.allocate(image.length + 1L, 16);
                MemorySegment.copy(image, 0, nativeImage, ValueLayout.JAVA_BYTE, 0, image.length);
                s.module = driver.loadModule(nativeImage);
            }
            for (Kernel k : Kernel.values()) {
                functions.put(k, driver.function(s.module, k.symbol()));
            }
            s.cublasHandle = cublas.create();
            cublas.setStream(s.cublasHandle, s.stream);
            s.cublasWorkspace = driver.malloc(cublasWorkspaceBytes);
            cublas.setWorkspace(s.cublasHandle, s.cublasWorkspace, cublasWorkspaceBytes);
            s.executor = new LaunchExecutor(driver, cublas, s.cublasHandle, functions, s.stream);
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

    CudaDriver driver() {
        return driver;
    }

    MemorySegment stream() {
        return stream;
    }

    LaunchExecutor executor() {
        return executor;
    }

    String deviceName() {
        return deviceName;
    }

    /** Makes the session's context current on the calling thread. */
    void makeCurrent() {
        driver.setCurrent(context);
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
