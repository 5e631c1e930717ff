package dev.infera.cpu.ops;

import dev.infera.core.backend.KvCacheLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The CPU backend's paged KV cache: one native allocation holding {@code numBlocks} blocks of
 * {@code blockSize} token slots for every layer, as F32 in native byte order. Element order, slowest
 * first:
 *
 * <pre>[layer][K, V][block][kvHead][offsetInBlock][headDim]</pre>
 *
 * so one KV head's keys for one block form a contiguous {@code blockSize x headDim} tile that
 * attention streams through, and a layer's keys and values are each one contiguous region. Slot
 * {@code s} is offset {@code s % blockSize} of block {@code s / blockSize}; the engine decides which
 * blocks a sequence owns, the cache only stores. Indices are not range-checked here: the backend
 * validates every {@link dev.infera.core.backend.StepBatch} against the layout before it writes.
 *
 * <p>{@link #close()} frees the memory; the cache must not be used afterwards.
 */
public final class PagedKvCache implements AutoCloseable {

    /** The element layout used for reads and writes (native order, 4-byte aligned). */
    public static final ValueLayout.OfFloat ELEMENT = ValueLayout.JAVA_FLOAT;

    private final KvCacheLayout layout;
    private final Arena arena;
    private final MemorySegment memory;
    private final int blockSize;
    private final int headDim;
    private final long tileBytes;
    private final long kvHeadStride;
    private final long blockStride;
    private final long kindStride;
    private final long layerStride;

    public PagedKvCache(KvCacheLayout layout) {
        if (layout.bytesPerElement() != Float.BYTES) {
            throw new IllegalArgumentException("the CPU KV cache stores F32 (4 bytes per element), layout asks for "
                    + layout.bytesPerElement());
        }
        this.layout = layout;
        this.blockSize = layout.blockSize();
        this.headDim = layout.headDim();
        this.tileBytes = (long) blockSize * headDim * Float.BYTES;
        this.kvHeadStride = tileBytes;
        this.blockStride = kvHeadStride * layout.numKvHeads();
        this.kindStride = blockStride * layout.numBlocks();
        this.layerStride = 2 * kindStride;
        this.arena = Arena.ofShared();
        this.memory = arena.allocate(layerStride * layout.numLayers(), 64);
    }

    public KvCacheLayout layout() {
        return layout;
    }

    /** The whole cache, for kernels that read it. */
    public MemorySegment memory() {
        return memory;
    }

    public int blockSize() {
        return blockSize;
    }

    public int headDim() {
        return headDim;
    }

    /** Byte offset of the key of context index {@code pos} (through {@code blockTable}) for one KV head. */
    public long keyOffset(int layer, int kvHead, int[] blockTable, int pos) {
        return tile(layer, 0, blockTable[pos / blockSize], kvHead) + (long) (pos % blockSize) * headDim * Float.BYTES;
    }

    /** Byte offset of the value of context index {@code pos} (through {@code blockTable}) for one KV head. */
    public long valueOffset(int layer, int kvHead, int[] blockTable, int pos) {
        return tile(layer, 1, blockTable[pos / blockSize], kvHead) + (long) (pos % blockSize) * headDim * Float.BYTES;
    }

    /** Byte offset of the {@code blockSize x headDim} tile of keys ({@code kind} 0) or values (1). */
    public long tile(int layer, int kind, int block, int kvHead) {
        return layer * layerStride + kind * kindStride + block * blockStride + kvHead * kvHeadStride;
    }

    /**
     * Stores one token's keys and values ({@code numKvHeads x headDim} each, head after head) in
     * {@code slot} of {@code layer}.
     */
    public void write(int layer, int slot, float[] keys, int keysOffset, float[] values, int valuesOffset) {
        int block = slot / blockSize;
        long inTile = (long) (slot % blockSize) * headDim * Float.BYTES;
        for (int h = 0; h < layout.numKvHeads(); h++) {
            MemorySegment.copy(keys, keysOffset + h * headDim, memory, ELEMENT, tile(layer, 0, block, h) + inTile, headDim);
            MemorySegment.copy(values, valuesOffset + h * headDim, memory, ELEMENT, tile(layer, 1, block, h) + inTile,
                    headDim);
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
