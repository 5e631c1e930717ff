package dev.infera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The CUDA driver API ({@code libcuda.so.1}) through Panama downcalls bound by symbol name when the
 * library is opened, so any installed driver (CUDA 12 or 13) works without JNI or a compile-time SDK.
 * Every method checks the returned {@code CUresult} and throws a {@link CudaException} naming the C
 * function and the error ({@code cuGetErrorName}, {@code cuGetErrorString}).
 *
 * <p>Symbols are the versioned ABI names that {@code cuda.h} maps the API names to ({@code cuMemAlloc}
 * is {@code cuMemAlloc_v2}, {@code cuGraphInstantiate} is {@code cuGraphInstantiateWithFlags}, ...).
 * Contexts use the device's primary context ({@code cuDevicePrimaryCtxRetain}), which exists under the
 * same name in every supported driver, unlike {@code cuCtxCreate}, whose ABI changed in CUDA 13. Device
 * pointers ({@code CUdeviceptr}, an unsigned 64-bit integer) are Java {@code long}s; handles (contexts,
 * streams, modules, functions, graphs, events) are {@link MemorySegment} addresses.
 *
 * <p>The driver binds to a context per thread: callers make theirs current with {@link #setCurrent} on
 * each thread that uses it.
 */
public final class CudaDriver {

    public static final String SONAME = "libcuda.so.1";

    public static final int CUDA_ERROR_NO_DEVICE = 100;
    public static final int ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public static final int ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public static final int STREAM_NON_BLOCKING = 1;
    public static final int CAPTURE_MODE_THREAD_LOCAL = 1;

    private final MethodHandle cuInit;
    private final MethodHandle cuDriverGetVersion;
    private final MethodHandle cuDeviceGetCount;
    private final MethodHandle cuDeviceGet;
    private final MethodHandle cuDeviceGetName;
    private final MethodHandle cuDeviceGetAttribute;
    private final MethodHandle cuDevicePrimaryCtxRetain;
    private final MethodHandle cuDevicePrimaryCtxRelease;
    private final MethodHandle cuCtxSetCurrent;
    private final MethodHandle cuStreamCreate;
    private final MethodHandle cuStreamSynchronize;
    private final MethodHandle cuStreamDestroy;
    private final MethodHandle cuEventCreate;
    private final MethodHandle cuEventRecord;
    private final MethodHandle cuEventSynchronize;
    private final MethodHandle cuEventElapsedTime;
    private final MethodHandle cuEventDestroy;
    private final MethodHandle cuMemGetInfo;
    private final MethodHandle cuMemAlloc;
    private final MethodHandle cuMemFree;
    private final MethodHandle cuMemAllocHost;
    private final MethodHandle cuMemFreeHost;
    private final MethodHandle cuMemcpyHtoD;
    private final MethodHandle cuMemcpyDtoH;
    private final MethodHandle cuMemcpyHtoDAsync;
    private final MethodHandle cuMemcpyDtoHAsync;
    private final MethodHandle cuMemcpyDtoDAsync;
    private final MethodHandle cuMemsetD32Async;
    private final MethodHandle cuModuleLoadData;
    private final MethodHandle cuModuleUnload;
    private final MethodHandle cuModuleGetFunction;
    private final MethodHandle cuLaunchKernel;
    private final MethodHandle cuStreamBeginCapture;
    private final MethodHandle cuStreamEndCapture;
    private final MethodHandle cuGraphInstantiate;
    private final MethodHandle cuGraphLaunch;
    private final MethodHandle cuGraphExecDestroy;
    private final MethodHandle cuGraphDestroy;
    private final MethodHandle cuGetErrorName;
    private final MethodHandle cuGetErrorString;

    CudaDriver(NativeLibrary lib) {
        FunctionDescriptor intPtr = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        FunctionDescriptor intHandle = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        cuInit = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_INT), "cuInit");
        cuDriverGetVersion = lib.function(intPtr, "cuDriverGetVersion");
        cuDeviceGetCount = lib.function(intPtr, "cuDeviceGetCount");
        cuDeviceGet = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuDeviceGet");
        cuDeviceGetName = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), "cuDeviceGetName");
        cuDeviceGetAttribute = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                "cuDeviceGetAttribute");
        cuDevicePrimaryCtxRetain = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                "cuDevicePrimaryCtxRetain");
        cuDevicePrimaryCtxRelease = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_INT),
                "cuDevicePrimaryCtxRelease_v2");
        cuCtxSetCurrent = lib.function(intHandle, "cuCtxSetCurrent");
        cuStreamCreate = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuStreamCreate");
        cuStreamSynchronize = lib.function(intHandle, "cuStreamSynchronize");
        cuStreamDestroy = lib.function(intHandle, "cuStreamDestroy_v2");
        cuEventCreate = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuEventCreate");
        cuEventRecord = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cuEventRecord");
        cuEventSynchronize = lib.function(intHandle, "cuEventSynchronize");
        cuEventElapsedTime = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                "cuEventElapsedTime_v2", "cuEventElapsedTime");
        cuEventDestroy = lib.function(intHandle, "cuEventDestroy_v2");
        cuMemGetInfo = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cuMemGetInfo_v2");
        cuMemAlloc = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), "cuMemAlloc_v2");
        cuMemFree = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG), "cuMemFree_v2");
        cuMemAllocHost = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), "cuMemAllocHost_v2");
        cuMemFreeHost = lib.function(intHandle, "cuMemFreeHost");
        cuMemcpyHtoD = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG), "cuMemcpyHtoD_v2");
        cuMemcpyDtoH = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), "cuMemcpyDtoH_v2");
        cuMemcpyHtoDAsync = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS),
                "cuMemcpyHtoDAsync_v2");
        cuMemcpyDtoHAsync = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS),
                "cuMemcpyDtoHAsync_v2");
        cuMemcpyDtoDAsync = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS),
                "cuMemcpyDtoDAsync_v2");
        cuMemsetD32Async = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS),
                "cuMemsetD32Async");
        cuModuleLoadData = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cuModuleLoadData");
        cuModuleUnload = lib.function(intHandle, "cuModuleUnload");
        cuModuleGetFunction = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                "cuModuleGetFunction");
        cuLaunchKernel = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS), "cuLaunchKernel");
        cuStreamBeginCapture = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuStreamBeginCapture_v2");
        cuStreamEndCapture = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cuStreamEndCapture");
        cuGraphInstantiate = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG),
                "cuGraphInstantiateWithFlags");
        cuGraphLaunch = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cuGraphLaunch");
        cuGraphExecDestroy = lib.function(intHandle, "cuGraphExecDestroy");
        cuGraphDestroy = lib.function(intHandle, "cuGraphDestroy");
        cuGetErrorName = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cuGetErrorName");
        cuGetErrorString = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cuGetErrorString");
    }

    // ---- status checking ----

    private void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(call, status, errorName(status), errorString(status));
        }
    }

    /** The symbolic name of a {@code CUresult}, such as {@code CUDA_ERROR_NO_DEVICE}. */
    public String errorName(int status) {
        return describe(cuGetErrorName, status, "CUDA_ERROR_" + status);
    }

    private String errorString(int status) {
        return describe(cuGetErrorString, status, "");
    }

    @SuppressWarnings("restricted") // the driver returns a pointer to a NUL-terminated static string
    private static String describe(MethodHandle f, int status, String fallback) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int rc = (int) f.invokeExact(status, out);
            MemorySegment text = out.get(ADDRESS, 0);
            if (rc != 0 || text.equals(MemorySegment.NULL)) {
                return fallback;
            }
            return text.reinterpret(Integer.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
        } catch (Throwable t) {
            return fallback;
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    // ---- initialization and devices ----

    /** {@code cuInit(0)}; returns the raw status so a probe can tell "no device" from other failures. */
    public int init() {
        try {
            return (int) cuInit.invokeExact(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int driverVersion() {
        return intOut(cuDriverGetVersion, "cuDriverGetVersion");
    }

    public int deviceCount() {
        return intOut(cuDeviceGetCount, "cuDeviceGetCount");
    }

    private int intOut(MethodHandle f, String call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check((int) f.invokeExact(out), call);
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The {@code CUdevice} of ordinal {@code ordinal}. */
    public int device(int ordinal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check((int) cuDeviceGet.invokeExact(out, ordinal), "cuDeviceGet");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            check((int) cuDeviceGetName.invokeExact(name, 256, device), "cuDeviceGetName");
            return name.getString(0, StandardCharsets.UTF_8);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int deviceAttribute(int device, int attribute) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check((int) cuDeviceGetAttribute.invokeExact(out, attribute, device), "cuDeviceGetAttribute");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- contexts ----

    /** Retains the device's primary context; pair with {@link #releasePrimaryContext}. */
    public MemorySegment retainPrimaryContext(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check((int) cuDevicePrimaryCtxRetain.invokeExact(out, device), "cuDevicePrimaryCtxRetain");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void releasePrimaryContext(int device) {
        try {
            check((int) cuDevicePrimaryCtxRelease.invokeExact(device), "cuDevicePrimaryCtxRelease_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void setCurrent(MemorySegment context) {
        call(cuCtxSetCurrent, context, "cuCtxSetCurrent");
    }

    private void call(MethodHandle f, MemorySegment handle, String name) {
        try {
            check((int) f.invokeExact(handle), name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private MemorySegment handleOut(MethodHandle f, int flags, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check((int) f.invokeExact(out, flags), name);
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- streams and events ----

    public MemorySegment createStream(int flags) {
        return handleOut(cuStreamCreate, flags, "cuStreamCreate");
    }

    public void synchronize(MemorySegment stream) {
        call(cuStreamSynchronize, stream, "cuStreamSynchronize");
    }

    public void destroyStream(MemorySegment stream) {
        call(cuStreamDestroy, stream, "cuStreamDestroy_v2");
    }

    public MemorySegment createEvent() {
        return handleOut(cuEventCreate, 0, "cuEventCreate");
    }

    public void recordEvent(MemorySegment event, MemorySegment stream) {
        try {
            check((int) cuEventRecord.invokeExact(event, stream), "cuEventRecord");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void synchronizeEvent(MemorySegment event) {
        call(cuEventSynchronize, event, "cuEventSynchronize");
    }

    /** Milliseconds between two recorded (and completed) events. */
    public float elapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_FLOAT);
            check((int) cuEventElapsedTime.invokeExact(out, start, end), "cuEventElapsedTime");
            return out.get(JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void destroyEvent(MemorySegment event) {
        call(cuEventDestroy, event, "cuEventDestroy_v2");
    }

    // ---- memory ----

    /** {@code [free, total]} bytes of device memory of the current context's device. */
    public long[] memoryInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(JAVA_LONG);
            MemorySegment total = arena.allocate(JAVA_LONG);
            check((int) cuMemGetInfo.invokeExact(free, total), "cuMemGetInfo_v2");
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Allocates {@code bytes} of device memory (256-byte aligned); returns the device pointer. */
    public long malloc(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            check((int) cuMemAlloc.invokeExact(out, bytes), "cuMemAlloc_v2");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void free(long devicePointer) {
        try {
            check((int) cuMemFree.invokeExact(devicePointer), "cuMemFree_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Page-locked host memory (fast, asynchronous copies), as a segment of {@code bytes}. */
    @SuppressWarnings("restricted") // the driver's allocation is exactly bytes long
    public MemorySegment mallocHost(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check((int) cuMemAllocHost.invokeExact(out, bytes), "cuMemAllocHost_v2");
            return out.get(ADDRESS, 0).reinterpret(bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void freeHost(MemorySegment hostMemory) {
        call(cuMemFreeHost, hostMemory, "cuMemFreeHost");
    }

    /** Synchronous copy of {@code bytes} from host memory to the device. */
    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        checkRange(src, bytes);
        try {
            check((int) cuMemcpyHtoD.invokeExact(dst, src, bytes), "cuMemcpyHtoD_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Synchronous copy of {@code bytes} from the device to host memory. */
    public void copyToHost(MemorySegment dst, long src, long bytes) {
        checkRange(dst, bytes);
        try {
            check((int) cuMemcpyDtoH.invokeExact(dst, src, bytes), "cuMemcpyDtoH_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void copyToDeviceAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        checkRange(src, bytes);
        try {
            check((int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyHtoDAsync_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void copyToHostAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        checkRange(dst, bytes);
        try {
            check((int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Stream-ordered copy of {@code bytes} between two device buffers. */
    public void copyOnDeviceAsync(long dst, long src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoDAsync_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void checkRange(MemorySegment host, long bytes) {
        if (bytes < 0 || bytes > host.byteSize()) {
            throw new IllegalArgumentException("copy of " + bytes + " bytes does not fit a host segment of "
                    + host.byteSize());
        }
    }

    /** Sets {@code count} 32-bit words at {@code dst} to {@code value}, in stream order. */
    public void memsetD32Async(long dst, int value, long count, MemorySegment stream) {
        try {
            check((int) cuMemsetD32Async.invokeExact(dst, value, count, stream), "cuMemsetD32Async");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- modules and launches ----

    /** Loads a fatbin, cubin or NUL-terminated PTX image into the current context. */
    public MemorySegment loadModule(MemorySegment image) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check((int) cuModuleLoadData.invokeExact(out, image), "cuModuleLoadData");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void unloadModule(MemorySegment module) {
        call(cuModuleUnload, module, "cuModuleUnload");
    }

    public MemorySegment function(MemorySegment module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int rc = (int) cuModuleGetFunction.invokeExact(out, module, arena.allocateFrom(name));
            if (rc != 0) {
                throw new CudaException("cuModuleGetFunction(\"" + name + "\")", rc, errorName(rc), errorString(rc));
            }
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Launches a kernel on {@code stream}. {@code params} is the {@code void*[]} of pointers to each
     * argument's value, in the kernel's parameter order.
     */
    public void launch(MemorySegment function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
            int sharedBytes, MemorySegment stream, MemorySegment params) {
        int rc;
        try {
            rc = (int) cuLaunchKernel.invokeExact(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes,
                    stream, params, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(rc, "cuLaunchKernel");
    }

    // ---- graphs ----

    public void beginCapture(MemorySegment stream) {
        try {
            check((int) cuStreamBeginCapture.invokeExact(stream, CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Ends a capture and returns the captured graph (destroy it with {@link #destroyGraph}). */
    public MemorySegment endCapture(MemorySegment stream) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check((int) cuStreamEndCapture.invokeExact(stream, out), "cuStreamEndCapture");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** An executable graph instantiated from {@code graph}. */
    public MemorySegment instantiate(MemorySegment graph) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check((int) cuGraphInstantiate.invokeExact(out, graph, 0L), "cuGraphInstantiateWithFlags");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void launchGraph(MemorySegment executable, MemorySegment stream) {
        try {
            check((int) cuGraphLaunch.invokeExact(executable, stream), "cuGraphLaunch");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void destroyGraphExec(MemorySegment executable) {
        call(cuGraphExecDestroy, executable, "cuGraphExecDestroy");
    }

    public void destroyGraph(MemorySegment graph) {
        call(cuGraphDestroy, graph, "cuGraphDestroy");
    }
}
