package dev.infera.cuda;

import dev.infera.cuda.driver.CudaDriver;
import dev.infera.cuda.driver.CudaException;
import dev.infera.cuda.driver.CudaLibraries;
import java.lang.foreign.MemorySegment;

/**
 * Measures the GPU's memory bandwidth the way the decode roofline needs it: device-to-device copies of
 * a buffer far larger than the L2 cache, timed with CUDA events; every copied byte is read once and
 * written once, so the rate counts twice the buffer per copy. The best of several copies counts, after
 * one warm-up copy.
 */
public final class DeviceBandwidth {

    public static final long DEFAULT_BUFFER_BYTES = 1L << 30;
    public static final int DEFAULT_COPIES = 8;

    private DeviceBandwidth() {
    }

    /** The device's name and its measured copy bandwidth in GB/s (10^9 bytes per second). */
    public record Measurement(String deviceName, double gbs) {
    }

    /** Measures device 0; a {@link CudaException} when CUDA cannot run here. */
    public static Measurement measure(long bufferBytes, int copies) {
        if (bufferBytes < 1 << 20 || copies < 1) {
            throw new IllegalArgumentException("the bandwidth probe needs at least 1 MiB and one copy, got "
                    + bufferBytes + " bytes and " + copies);
        }
        CudaDriver d = CudaLibraries.driver().require();
        int status = d.init();
        if (status != 0) {
            throw new CudaException("cuInit", status, d.errorName(status), null);
        }
        int device = d.device(0);
        d.setCurrent(d.retainPrimaryContext(device));
        MemorySegment stream = d.createStream(CudaDriver.STREAM_NON_BLOCKING);
        long src = 0;
        long dst = 0;
        try {
            src = d.malloc(bufferBytes);
            dst = d.malloc(bufferBytes);
            d.memsetD32Async(src, 0x3F800000, bufferBytes / 4, stream);
            MemorySegment start = d.createEvent();
            MemorySegment end = d.createEvent();
            double bestSeconds = Double.MAX_VALUE;
            for (int i = 0; i <= copies; i++) {
                d.recordEvent(start, stream);
                d.copyOnDeviceAsync(dst, src, bufferBytes, stream);
                d.recordEvent(end, stream);
                d.synchronizeEvent(end);
                if (i > 0) {
                    bestSeconds = Math.min(bestSeconds, d.elapsedMillis(start, end) / 1e3);
                }
            }
            d.destroyEvent(start);
            d.destroyEvent(end);
            return new Measurement(d.deviceName(device), 2.0 * bufferBytes / bestSeconds / 1e9);
        } finally {
            if (src != 0) {
                d.free(src);
            }
            if (dst != 0) {
                d.free(dst);
            }
            d.destroyStream(stream);
            d.releasePrimaryContext(device);
        }
    }
}
