package dev.infera.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.core.quant.HalfFloats;
import dev.infera.cuda.driver.CudaDriver;
import dev.infera.cuda.driver.CudaException;
import dev.infera.cuda.driver.CudaLibraries;
import dev.infera.cuda.driver.Cublas;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The driver and cuBLAS bindings on a real GPU: copies round-trip, events time, errors become
 * {@link CudaException}s naming the call and error, and both GEMM entry points compute what a plain
 * loop computes. Skips where the CUDA backend cannot run.
 */
class DriverBindingsGpuTest {

    private CudaDriver driver;
    private Cublas cublas;
    private int device;
    private MemorySegment stream;

    @BeforeEach
    void open() {
        GpuRequirement.requireCuda();
        driver = CudaLibraries.driver().require();
        cublas = CudaLibraries.cublas().require();
        assertThat(driver.init()).isZero();
        device = driver.device(0);
        driver.setCurrent(driver.retainPrimaryContext(device));
        stream = driver.createStream(CudaDriver.STREAM_NON_BLOCKING);
    }

    @AfterEach
    void close() {
        if (stream != null) {
            driver.destroyStream(stream);
            driver.releasePrimaryContext(device);
        }
    }

    @Test
    void copiesRoundTripAndEventsTimeThem() {
        try (Arena arena = Arena.ofConfined()) {
            long bytes = 64L << 20;
            MemorySegment host = driver.mallocHost(bytes);
            MemorySegment back = arena.allocate(bytes);
            for (long i = 0; i < bytes / 8; i++) {
                host.setAtIndex(ValueLayout.JAVA_LONG, i, i * 31 + 7);
            }
            long dev = driver.malloc(bytes);
            MemorySegment start = driver.createEvent();
            MemorySegment end = driver.createEvent();
            driver.recordEvent(start, stream);
            driver.copyToDeviceAsync(dev, host, bytes, stream);
            driver.recordEvent(end, stream);
            driver.copyToHostAsync(back, dev, bytes, stream);
            driver.synchronize(stream);
            driver.synchronizeEvent(end);
            float ms = driver.elapsedMillis(start, end);
            assertThat(back.mismatch(host)).isEqualTo(-1);
            assertThat(ms).isPositive();
            System.out.printf("host to device: %.1f GB/s (%s, driver %d)%n", bytes / (ms * 1e6),
                    driver.deviceName(device), driver.driverVersion());
            driver.destroyEvent(start);
            driver.destroyEvent(end);
            driver.free(dev);
            driver.freeHost(host);
        }
    }

    @Test
    void deviceCopyBandwidthIsMeasured() {
        DeviceBandwidth.Measurement m = DeviceBandwidth.measure(256L << 20, 3);
        System.out.printf("device copy bandwidth of %s: %.0f GB/s%n", m.deviceName(), m.gbs());
        assertThat(m.gbs()).isGreaterThan(100);
    }

    @Test
    void errorsNameTheCallAndTheError() {
        assertThatThrownBy(() -> driver.malloc(1L << 60)).isInstanceOf(CudaException.class)
                .hasMessageStartingWith("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY");
        assertThat(driver.errorName(CudaDriver.CUDA_ERROR_NO_DEVICE)).isEqualTo("CUDA_ERROR_NO_DEVICE");
    }

    @Test
    void gemmAndStridedBatchedGemmMatchAPlainLoop() {
        int m = 48;
        int n = 5;
        int k = 64;
        int batches = 3;
        Random rnd = new Random(1);
        float[] a = new float[batches * k * m];
        float[] b = new float[batches * k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16((float) rnd.nextGaussian()));
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16((float) rnd.nextGaussian()));
        }
        MemorySegment handle = cublas.create();
        try (Arena arena = Arena.ofConfined()) {
            cublas.setStream(handle, stream);
            long da = upload(arena, a);
            long db = upload(arena, b);
            long dc = driver.malloc(4L * batches * m * n);
            cublas.gemmStridedBatched(handle, Cublas.OP_T, Cublas.OP_N, m, n, k, da, Cublas.CUDA_R_16BF, k, (long) k * m,
                    db, Cublas.CUDA_R_16BF, k, (long) k * n, dc, Cublas.CUDA_R_32F, m, (long) m * n, batches);
            float[] c = download(arena, dc, batches * m * n);
            cublas.gemm(handle, Cublas.OP_T, Cublas.OP_N, m, n, k, da, Cublas.CUDA_R_16BF, k, db, Cublas.CUDA_R_16BF, k,
                    dc, Cublas.CUDA_R_32F, m);
            float[] first = download(arena, dc, m * n);
            for (int batch = 0; batch < batches; batch++) {
                for (int j = 0; j < n; j++) {
                    for (int i = 0; i < m; i++) {
                        double want = 0;
                        for (int q = 0; q < k; q++) {
                            want += (double) a[batch * k * m + i * k + q] * b[batch * k * n + j * k + q];
                        }
                        assertThat((double) c[batch * m * n + j * m + i]).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-3));
                        if (batch == 0) {
                            assertThat(first[j * m + i]).isEqualTo(c[j * m + i]);
                        }
                    }
                }
            }
            driver.free(da);
            driver.free(db);
            driver.free(dc);
        } finally {
            cublas.destroy(handle);
        }
    }

    /** Uploads floats as BF16 (they are exactly representable). */
    private long upload(Arena arena, float[] values) {
        MemorySegment host = arena.allocate(2L * values.length);
        for (int i = 0; i < values.length; i++) {
            host.setAtIndex(ValueLayout.JAVA_SHORT, i, HalfFloats.floatToBf16(values[i]));
        }
        long dev = driver.malloc(host.byteSize());
        driver.copyToDevice(dev, host, host.byteSize());
        return dev;
    }

    private float[] download(Arena arena, long dev, int count) {
        MemorySegment host = arena.allocate(4L * count);
        driver.synchronize(stream);
        driver.copyToHost(host, dev, host.byteSize());
        return host.toArray(ValueLayout.JAVA_FLOAT);
    }
}
