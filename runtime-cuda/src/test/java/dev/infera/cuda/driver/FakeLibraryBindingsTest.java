package dev.infera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Panama bindings against stand-in libraries ({@code src/test/c}) compiled here with the real
 * {@code cuda.h}: the compiler holds each fake to the driver's exact prototype and versioned symbol
 * name, and the fakes record or act on what they receive, so every descriptor, out-parameter, error
 * path and the kernel-parameter packing are checked without a GPU. Skipped when no C compiler or no
 * {@code cuda.h} is installed.
 */
class FakeLibraryBindingsTest {

    private static CudaDriver driver;
    private static Cublas cublas;
    private static NativeLibrary fake;
    private static NativeLibrary fakeBlas;

    private static Path cudaInclude() {
        for (String dir : new String[] {System.getenv("CUDA_HOME"), "/usr/local/cuda"}) {
            if (dir != null && Files.isRegularFile(Path.of(dir, "include", "cuda.h"))) {
                return Path.of(dir, "include");
            }
        }
        return null;
    }

    private static Path compile(Path source, Path out, Path include) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("cc", "-shared", "-fPIC", "-Wall", "-Werror", "-I" + include, "-o", out.toString(),
                source.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("cc %s:%n%s", source, log).isZero();
        return out;
    }

    @BeforeAll
    static void build(@TempDir Path dir) throws IOException, InterruptedException {
        Path include = cudaInclude();
        Assumptions.assumeTrue(include != null, "no cuda.h (CUDA toolkit not installed): binding test skipped");
        try {
            new ProcessBuilder("cc", "--version").start().waitFor();
        } catch (IOException e) {
            Assumptions.abort("no C compiler (cc): binding test skipped");
        }
        Path cuda = compile(Path.of("src/test/c/fake_cuda.c"), dir.resolve("libfakecuda.so"), include);
        Path blas = compile(Path.of("src/test/c/fake_cublas.c"), dir.resolve("libfakecublas.so"), include);
        fake = NativeLibrary.open(Arena.global(), cuda.toString()).orElseThrow();
        driver = new CudaDriver(fake);
        fakeBlas = NativeLibrary.open(Arena.global(), blas.toString()).orElseThrow();
        cublas = new Cublas(fakeBlas, Arena.global());
    }

    private static MethodHandle fakeFunction(String name, FunctionDescriptor d) {
        return fake.function(d, name);
    }

    @Test
    void devicesContextsAndStreams() throws Throwable {
        assertThat(driver.init()).isZero();
        assertThat(driver.driverVersion()).isEqualTo(13000);
        assertThat(driver.deviceCount()).isEqualTo(2);
        int device = driver.device(1);
        assertThat(device).isEqualTo(41);
        assertThat(driver.deviceName(device)).isEqualTo("Fake GPU 1");
        assertThat(driver.deviceAttribute(device, CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)).isEqualTo(9);
        assertThat(driver.deviceAttribute(device, CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT)).isEqualTo(1041);
        MemorySegment context = driver.retainPrimaryContext(device);
        driver.setCurrent(context);
        assertThatThrownBy(() -> driver.setCurrent(MemorySegment.ofAddress(64))).isInstanceOf(CudaException.class)
                .hasMessageStartingWith("cuCtxSetCurrent failed: CUDA_ERROR_201");
        assertThatThrownBy(() -> driver.device(7)).isInstanceOf(CudaException.class)
                .hasMessageStartingWith("cuDeviceGet failed: CUDA_ERROR_101");
        MemorySegment stream = driver.createStream(CudaDriver.STREAM_NON_BLOCKING);
        MemorySegment start = driver.createEvent();
        MemorySegment end = driver.createEvent();
        driver.recordEvent(start, stream);
        driver.recordEvent(end, stream);
        driver.synchronizeEvent(end);
        assertThat(driver.elapsedMillis(start, end)).isEqualTo(2.5f);
        driver.synchronize(stream);
        driver.destroyEvent(start);
        driver.destroyEvent(end);
        driver.destroyStream(stream);
        driver.releasePrimaryContext(device);
    }

    @Test
    void memoryAndCopiesRoundTrip() {
        MemorySegment stream = driver.createStream(0);
        try (Arena arena = Arena.ofConfined()) {
            long[] info = driver.memoryInfo();
            assertThat(info).containsExactly(3L << 33, 5L << 33);
            MemorySegment host = arena.allocate(4096);
            for (int i = 0; i < 1024; i++) {
                host.setAtIndex(JAVA_INT, i, i * 7 - 3);
            }
            long a = driver.malloc(4096);
            long b = driver.malloc(4096);
            assertThat(a % 256).isZero();
            driver.copyToDevice(a, host, 4096);
            driver.copyOnDeviceAsync(b, a, 4096, stream);
            MemorySegment back = driver.mallocHost(4096);
            driver.copyToHostAsync(back, b, 4096, stream);
            driver.synchronize(stream);
            assertThat(back.mismatch(host)).isEqualTo(-1);
            driver.memsetD32Async(b, 0x01020304, 10, stream);
            driver.copyToHost(back, b, 4096);
            assertThat(back.getAtIndex(JAVA_INT, 9)).isEqualTo(0x01020304);
            assertThat(back.getAtIndex(JAVA_INT, 10)).isEqualTo(67);
            driver.copyToDeviceAsync(b, host, 16, stream);
            assertThatThrownBy(() -> driver.copyToDevice(a, host, 8192)).isInstanceOf(IllegalArgumentException.class);
            driver.freeHost(back);
            driver.free(a);
            driver.free(b);
            assertThatThrownBy(() -> driver.malloc(1L << 41)).isInstanceOf(CudaException.class)
                    .hasMessage("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)")
                    .satisfies(e -> assertThat(((CudaException) e).errorName()).isEqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
        } finally {
            driver.destroyStream(stream);
        }
    }

    @Test
    void modulesLaunchesAndGraphs() throws Throwable {
        MemorySegment stream = driver.createStream(0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment image = arena.allocateFrom(JAVA_INT, 0xBA55ED50, 0, 0, 0);
            MemorySegment module = driver.loadModule(image);
            assertThatThrownBy(() -> driver.loadModule(arena.allocate(16))).isInstanceOf(CudaException.class)
                    .hasMessageStartingWith("cuModuleLoadData failed: CUDA_ERROR_200");
            MemorySegment function = driver.function(module, "rms_norm");
            assertThatThrownBy(() -> driver.function(module, "missing_kernel")).isInstanceOf(CudaException.class)
                    .hasMessage("cuModuleGetFunction(\"missing_kernel\") failed: CUDA_ERROR_NOT_FOUND "
                            + "(named symbol not found)");
            MemorySegment values = arena.allocate(32);
            values.set(JAVA_LONG, 0, 0x123456789ABCL);
            values.set(JAVA_LONG, 8, -5L);
            values.set(JAVA_INT, 16, 77);
            values.set(JAVA_FLOAT, 24, 1.5f);
            MemorySegment params = arena.allocate(ADDRESS, 4);
            for (int i = 0; i < 4; i++) {
                params.setAtIndex(ADDRESS, i, values.asSlice(8L * i, 8));
            }
            driver.launch(function, 3, 2, 1, 128, 1, 1, 4096, stream, params);
            MemorySegment grid = arena.allocate(JAVA_INT, 3);
            MemorySegment block = arena.allocate(JAVA_INT, 3);
            MemorySegment shared = arena.allocate(JAVA_INT);
            MemorySegment p0 = arena.allocate(JAVA_LONG);
            MemorySegment p1 = arena.allocate(JAVA_LONG);
            MemorySegment p2 = arena.allocate(JAVA_INT);
            MemorySegment p3 = arena.allocate(JAVA_FLOAT);
            fakeFunction("fake_last_launch", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                    ADDRESS, ADDRESS)).invokeExact(grid, block, shared, p0, p1, p2, p3);
            assertThat(grid.toArray(JAVA_INT)).containsExactly(3, 2, 1);
            assertThat(block.toArray(JAVA_INT)).containsExactly(128, 1, 1);
            assertThat(shared.get(JAVA_INT, 0)).isEqualTo(4096);
            assertThat(p0.get(JAVA_LONG, 0)).isEqualTo(0x123456789ABCL);
            assertThat(p1.get(JAVA_LONG, 0)).isEqualTo(-5L);
            assertThat(p2.get(JAVA_INT, 0)).isEqualTo(77);
            assertThat(p3.get(JAVA_FLOAT, 0)).isEqualTo(1.5f);

            driver.beginCapture(stream);
            int mode = (int) fakeFunction("fake_capture_mode", FunctionDescriptor.of(JAVA_INT)).invokeExact();
            assertThat(mode).isEqualTo(CudaDriver.CAPTURE_MODE_THREAD_LOCAL);
            MemorySegment graph = driver.endCapture(stream);
            MemorySegment exec = driver.instantiate(graph);
            driver.destroyGraph(graph);
            driver.launchGraph(exec, stream);
            driver.launchGraph(exec, stream);
            int launches = (int) fakeFunction("fake_graph_launches", FunctionDescriptor.of(JAVA_INT)).invokeExact();
            assertThat(launches).isEqualTo(2);
            driver.destroyGraphExec(exec);
            driver.unloadModule(module);
        } finally {
            driver.destroyStream(stream);
        }
    }

    @Test
    void cublasGemmsReceiveEveryArgumentInOrder() throws Throwable {
        int m = 5;
        int n = 3;
        int k = 7;
        Random rnd = new Random(3);
        float[] a = new float[2 * k * m];
        float[] b = new float[2 * k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextFloat() - 0.5f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = rnd.nextFloat() - 0.5f;
        }
        MemorySegment handle = cublas.create();
        try (Arena arena = Arena.ofConfined()) {
            cublas.setStream(handle, driver.createStream(0));
            cublas.setWorkspace(handle, driver.malloc(1 << 20), 1 << 20);
            long ws = (long) fakeBlas.function(FunctionDescriptor.of(JAVA_LONG), "fake_workspace_bytes").invokeExact();
            assertThat(ws).isEqualTo(1L << 20);
            long da = upload(arena, a);
            long db = upload(arena, b);
            long dc = driver.malloc(4L * 2 * m * n);
            cublas.gemm(handle, Cublas.OP_T, Cublas.OP_N, m, n, k, da, Cublas.CUDA_R_32F, k, db, Cublas.CUDA_R_32F, k,
                    dc, Cublas.CUDA_R_32F, m);
            MemorySegment c = arena.allocate(4L * 2 * m * n);
            driver.copyToHost(c, dc, 4L * m * n);
            checkProducts(a, b, c, m, n, k, 1);
            cublas.gemmStridedBatched(handle, Cublas.OP_T, Cublas.OP_N, m, n, k, da, Cublas.CUDA_R_32F, k, (long) k * m,
                    db, Cublas.CUDA_R_32F, k, (long) k * n, dc, Cublas.CUDA_R_32F, m, (long) m * n, 2);
            driver.copyToHost(c, dc, c.byteSize());
            checkProducts(a, b, c, m, n, k, 2);
            assertThatThrownBy(() -> cublas.gemm(handle, Cublas.OP_T, Cublas.OP_N, m, n, k, da, Cublas.CUDA_R_16BF, k, db,
                    Cublas.CUDA_R_16BF, k, dc, Cublas.CUDA_R_32F, m)).isInstanceOf(CudaException.class)
                    .hasMessage("cublasGemmEx failed: CUBLAS_STATUS_NOT_SUPPORTED");
        } finally {
            cublas.destroy(handle);
        }
    }

    private long upload(Arena arena, float[] values) {
        MemorySegment host = arena.allocateFrom(JAVA_FLOAT, values);
        long dev = driver.malloc(host.byteSize());
        driver.copyToDevice(dev, host, host.byteSize());
        return dev;
    }

    /** C (column-major m x n per batch) against A^T B computed here, A k x m and B k x n column-major. */
    private static void checkProducts(float[] a, float[] b, MemorySegment c, int m, int n, int k, int batches) {
        for (int batch = 0; batch < batches; batch++) {
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < m; i++) {
                    double want = 0;
                    for (int q = 0; q < k; q++) {
                        want += (double) a[batch * k * m + i * k + q] * b[batch * k * n + j * k + q];
                    }
                    assertThat((double) c.getAtIndex(JAVA_FLOAT, (long) batch * m * n + (long) j * m + i))
                            .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5));
                }
            }
        }
    }
}
