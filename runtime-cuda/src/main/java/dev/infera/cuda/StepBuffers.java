package dev.infera.cuda;

import dev.infera.cuda.plan.AttentionConfig;
import dev.infera.cuda.plan.Buffer;
import dev.infera.cuda.plan.ModelShape;
import dev.infera.cuda.plan.ScratchLayout;
import dev.infera.cuda.plan.StepShape;
import java.lang.foreign.MemorySegment;

/**
 * The memory a step works in: one device allocation carved into the scratch buffers of a
 * {@link ScratchLayout}, page-locked host staging for the uploaded metadata and the downloaded logits
 * and greedy tokens, and the heap array the logits are returned in. It starts small and grows (every
 * dimension to the next power of two) when a step does not fit; growing moves the device buffers.
 */
final class StepBuffers implements AutoCloseable {

    private static final ScratchLayout.Capacity INITIAL = new ScratchLayout.Capacity(16, 16, 1, 1024);

    private final Gpu gpu;
    private final ModelShape shape;
    private final AttentionConfig attention;
    private final long dequantChunkBytes;
    private ScratchLayout layout;
    private long device;
    private MemorySegment hostMeta;
    private MemorySegment hostLogits;
    private MemorySegment hostArgmax;
    private float[] logits;
    private int[] argmax;

    StepBuffers(Gpu gpu, ModelShape shape, AttentionConfig attention, long dequantChunkBytes) {
        this.gpu = gpu;
        this.shape = shape;
        this.attention = attention;
        this.dequantChunkBytes = dequantChunkBytes;
        allocate(INITIAL);
    }

    /**
     * Makes room for a step; returns true when the buffers moved (so graphs that captured their
     * addresses are stale).
     */
    boolean ensure(StepShape step, int splits, int metaInts) {
        ScratchLayout.Capacity c = layout.capacity();
        if (device != 0 && c.holds(step, splits, metaInts)) {
            return false;
        }
        release();
        allocate(c.grownFor(step, splits, metaInts));
        return true;
    }

    /** Allocates everything for {@code c}; on failure frees what it got and leaves no device buffer. */
    private void allocate(ScratchLayout.Capacity c) {
        layout = ScratchLayout.of(shape, attention, c, dequantChunkBytes);
        try {
            device = gpu.malloc(layout.totalBytes());
            hostMeta = gpu.mallocHost(4L * c.metaInts());
            hostLogits = gpu.mallocHost(4L * c.samples() * shape.vocab());
            hostArgmax = gpu.mallocHost(4L * c.samples());
        } catch (RuntimeException e) {
            try {
                release();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        logits = new float[Math.multiplyExact(c.samples(), shape.vocab())];
        argmax = new int[c.samples()];
    }

    long address(Buffer b, long byteOffset) {
        return device + layout.offset(b) + byteOffset;
    }

    ScratchLayout layout() {
        return layout;
    }

    MemorySegment hostMeta() {
        return hostMeta;
    }

    MemorySegment hostLogits() {
        return hostLogits;
    }

    MemorySegment hostArgmax() {
        return hostArgmax;
    }

    float[] logits() {
        return logits;
    }

    int[] argmax() {
        return argmax;
    }

    private void release() {
        if (device != 0) {
            gpu.free(device);
            device = 0;
        }
        for (MemorySegment host : new MemorySegment[] {hostMeta, hostLogits, hostArgmax}) {
            if (host != null) {
                gpu.freeHost(host);
            }
        }
        hostMeta = null;
        hostLogits = null;
        hostArgmax = null;
    }

    @Override
    public void close() {
        release();
    }
}
