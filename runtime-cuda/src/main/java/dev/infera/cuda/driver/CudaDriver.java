package dev.infera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    // ---- calling and status checking ----

    private void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(call, status, errorName(status), errorString(status));
        }
    }

    /** Calls {@code f(args)} and checks its status (setup calls; the per-step ones use invokeExact). */
    private void call(String name, MethodHandle f, Object... args) {
        int rc;
        try {
            rc = (int) f.invokeWithArguments(args);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(rc, name);
    }

    /** Calls {@code f(out, args)} with {@code out} pointing at one {@code layout} value; returns the value. */
    private Object out(String name, MethodHandle f, ValueLayout layout, Object... args) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(layout);
            Object[] all = new Object[args.length + 1];
            all[0] = out;
            System.arraycopy(args, 0, all, 1, args.length);
            call(name, f, all);
            return switch (layout) {
                case ValueLayout.OfInt i -> out.get(i, 0);
                case ValueLayout.OfLong l -> out.get(l, 0);
                case ValueLayout.OfFloat fl -> out.get(fl, 0);
                case AddressLayout a -> out.get(a, 0);
                default -> throw new IllegalArgumentException(layout.toString());
            };
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

    // ---- initialization, devices, contexts ----

    /** {@code cuInit(0)}; returns the raw status so a probe can tell "no device" from other failures. */
    public int init() {
        try {
            return (int) cuInit.invokeExact(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int driverVersion() {
        return (int) out("cuDriverGetVersion", cuDriverGetVersion, JAVA_INT);
    }

    public int deviceCount() {
        return (int) out("cuDeviceGetCount", cuDeviceGetCount, JAVA_INT);
    }

    /** The {@code CUdevice} of ordinal {@code ordinal}. */
    public int device(int ordinal) {
        return (int) out("cuDeviceGet", cuDeviceGet, JAVA_INT, ordinal);
    }

    public String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            call("cuDeviceGetName", cuDeviceGetName, name, 256, device);
            return name.getString(0, StandardCharsets.UTF_8);
        }
    }

    public int deviceAttribute(int device, int attribute) {
        return (int) out("cuDeviceGetAttribute", cuDeviceGetAttribute, JAVA_INT, attribute, device);
    }

    /** Retains the device's primary context; pair with {@link #releasePrimaryContext}. */
    public MemorySegment retainPrimaryContext(int device) {
        return (MemorySegment) out("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain, ADDRESS, device);
    }

    public void releasePrimaryContext(int device) {
        call("cuDevicePrimaryCtxRelease_v2", cuDevicePrimaryCtxRelease, device);
    }

    /** Binds {@code context} to the calling thread (called before every step). */
    public void setCurrent(MemorySegment context) {
        try {
            check((int) cuCtxSetCurrent.invokeExact(context), "cuCtxSetCurrent");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- streams and events ----

    public MemorySegment createStream(int flags) {
        return (MemorySegment) out("cuStreamCreate", cuStreamCreate, ADDRESS, flags);
    }

    /** Waits for everything enqueued on {@code stream} (called after every step). */
    public void synchronize(MemorySegment stream) {
        try {
            check((int) cuStreamSynchronize.invokeExact(stream), "cuStreamSynchronize");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void destroyStream(MemorySegment stream) {
        call("cuStreamDestroy_v2", cuStreamDestroy, stream);
    }

    public MemorySegment createEvent() {
        return (MemorySegment) out("cuEventCreate", cuEventCreate, ADDRESS, 0);
    }

    public void recordEvent(MemorySegment event, MemorySegment stream) {
        call("cuEventRecord", cuEventRecord, event, stream);
    }

    public void synchronizeEvent(MemorySegment event) {
        call("cuEventSynchronize", cuEventSynchronize, event);
    }

    /** Milliseconds between two recorded (and completed) events. */
    public float elapsedMillis(MemorySegment start, MemorySegment end) {
        return (float) out("cuEventElapsedTime", cuEventElapsedTime, JAVA_FLOAT, start, end);
    }

    public void destroyEvent(MemorySegment event) {
        call("cuEventDestroy_v2", cuEventDestroy, event);
    }

    // ---- memory ----

    /** {@code [free, total]} bytes of device memory of the current context's device. */
    public long[] memoryInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(JAVA_LONG);
            MemorySegment total = arena.allocate(JAVA_LONG);
            call("cuMemGetInfo_v2", cuMemGetInfo, free, total);
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        }
    }

    /** Allocates {@code bytes} of device memory (256-byte aligned); returns the device pointer. */
    public long malloc(long bytes) {
        return (long) out("cuMemAlloc_v2", cuMemAlloc, JAVA_LONG, bytes);
    }

    public void free(long devicePointer) {
        call("cuMemFree_v2", cuMemFree, devicePointer);
    }

    /** Page-locked host memory (fast, asynchronous copies), as a segment of {@code bytes}. */
    @SuppressWarnings("restricted") // the driver's allocation is exactly bytes long
    public MemorySegment mallocHost(long bytes) {
        return ((MemorySegment) out("cuMemAllocHost_v2", cuMemAllocHost, ADDRESS, bytes)).reinterpret(bytes);
    }

    public void freeHost(MemorySegment hostMemory) {
        call("cuMemFreeHost", cuMemFreeHost, hostMemory);
    }

    /** Synchronous copy of {@code bytes} from host memory to the device. */
    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        checkRange(src, bytes);
        call("cuMemcpyHtoD_v2", cuMemcpyHtoD, dst, src, bytes);
    }

    /** Synchronous copy of {@code bytes} from the device to host memory. */
    public void copyToHost(MemorySegment dst, long src, long bytes) {
        checkRange(dst, bytes);
        call("cuMemcpyDtoH_v2", cuMemcpyDtoH, dst, src, bytes);
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
        call("cuMemcpyDtoDAsync_v2", cuMemcpyDtoDAsync, dst, src, bytes, stream);
    }

    private static void checkRange(MemorySegment host, long bytes) {
        if (bytes < 0 || bytes > host.byteSize()) {
            throw new IllegalArgumentException("copy of " + bytes + " bytes does not fit a host segment of "
                    + host.byteSize());
        }
    }

    /** Sets {@code count} 32-bit words at {@code dst} to {@code value}, in stream order. */
    public void memsetD32Async(long dst, int value, long count, MemorySegment stream) {
        call("cuMemsetD32Async", cuMemsetD32Async, dst, value, count, stream);
    }

    // ---- modules and launches ----

    /** Loads a fatbin, cubin or NUL-terminated PTX image into the current context. */
    public MemorySegment loadModule(MemorySegment image) {
        return (MemorySegment) out("cuModuleLoadData", cuModuleLoadData, ADDRESS, image);
    }

    public void unloadModule(MemorySegment module) {
        call("cuModuleUnload", cuModuleUnload, module);
    }

    public MemorySegment function(MemorySegment module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            return (MemorySegment) out("cuModuleGetFunction(\"" + name + "\")", cuModuleGetFunction, ADDRESS, module,
                    arena.allocateFrom(name));
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
        call("cuStreamBeginCapture_v2", cuStreamBeginCapture, stream, CAPTURE_MODE_THREAD_LOCAL);
    }

    /** Ends a capture and returns the captured graph (destroy it with {@link #destroyGraph}). */
    public MemorySegment endCapture(MemorySegment stream) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            call("cuStreamEndCapture", cuStreamEndCapture, stream, out);
            return out.get(ADDRESS, 0);
        }
    }

    /** An executable graph instantiated from {@code graph}. */
    public MemorySegment instantiate(MemorySegment graph) {
        return (MemorySegment) out("cuGraphInstantiateWithFlags", cuGraphInstantiate, ADDRESS, graph, 0L);
    }

    /** Replays an executable graph on {@code stream} (called for every decode step). */
    public void launchGraph(MemorySegment executable, MemorySegment stream) {
        try {
            check((int) cuGraphLaunch.invokeExact(executable, stream), "cuGraphLaunch");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void destroyGraphExec(MemorySegment executable) {
        call("cuGraphExecDestroy", cuGraphExecDestroy, executable);
    }

    public void destroyGraph(MemorySegment graph) {
        call("cuGraphDestroy", cuGraphDestroy, graph);
    }
}
