package dev.infera.cpu.ops;

import dev.infera.core.backend.KvCacheLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The CPU backend's paged KV cache: one native allocation holding {@code numBlocks} blocks of
 * {@code blockSize} token slots for every layer, as F32 or (when the layout asks for 2-byte elements)
 * IEEE F16, in native byte order. Per layer the keys of all blocks come first, then the values; within
 * each, one tile per {@code (block, kvHead)}:
 *
 * <pre>
 * key tile   [headDim][keyStride]    (transposed: row d holds dimension d of the block's keys)
 * value tile [blockSize][headDim]    (row o holds the value of the block's slot o)
 * </pre>
 *
 * Keys are stored transposed so that one vector load spans consecutive keys: attention scores of a
 * whole run of keys are then sums over the head dimension of {@code q[d] * keyRow[d]}, with no
 * horizontal reduction per key. {@code keyStride} is {@code blockSize} rounded up to
 * {@link #KEY_LANES}, so a full vector of up to 16 floats never leaves its key row; the padding lanes
 * stay zero and are never part of a context. Values keep their natural rows, which the weighted sum
 * adds as whole vectors.
 *
 * <p>Slot {@code s} is offset {@code s % blockSize} of block {@code s / blockSize}; the engine decides
 * which blocks a sequence owns, the cache only stores. F16 elements are rounded to nearest when written
 * and saturate at +-65504 (a finite F16 cache never holds an infinity, which lets readers widen them
 * with plain bit arithmetic; NaN stays NaN here but a vector reader sees it as a large finite number).
 * Indices are not range-checked here: the backend validates every {@link dev.infera.core.backend.StepBatch} against the layout before it writes. The
 * tile layout is private to the CPU backend (the engine sees only {@link KvCacheLayout}).
 *
 * <p>{@link #close()} frees the memory; the cache must not be used afterwards.
 */
public final class PagedKvCache implements AutoCloseable {

    /** The F32 element layout used for reads and writes (native order, 4-byte aligned). */
    public static final ValueLayout.OfFloat ELEMENT = ValueLayout.JAVA_FLOAT;
    /** The F16 element layout (native order, 2-byte aligned). */
    public static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT;
    /** Largest finite F16 value: what larger magnitudes are stored as. */
    private static final float HALF_MAX = 65504f;
    /** Key rows are padded to a multiple of this many floats (the widest float vector). */
    public static final int KEY_LANES = 16;
    /**
     * Alignment of the allocation: with the usual 16-token blocks and 64-float heads a tile is 4 KiB,
     * and page-aligned it is exactly one page (one TLB entry, one unbroken hardware-prefetch stream)
     * instead of straddling two.
     */
    private static final long PAGE_BYTES = 4096;

    private final KvCacheLayout layout;
    private final Arena arena;
    private final MemorySegment memory;
    private final int blockSize;
    private final int headDim;
    private final int numKvHeads;
    private final int keyStride;
    private final int elementBytes;
    private final long keyTileBytes;
    private final long valueTileBytes;
    private final long valuesStart;
    private final long layerStride;

    public PagedKvCache(KvCacheLayout layout) {
        this.elementBytes = checkedElementBytes(layout.bytesPerElement());
        this.layout = layout;
        this.blockSize = layout.blockSize();
        this.headDim = layout.headDim();
        this.numKvHeads = layout.numKvHeads();
        this.keyStride = keyStride(blockSize);
        this.keyTileBytes = (long) headDim * keyStride * elementBytes;
        this.valueTileBytes = (long) blockSize * headDim * elementBytes;
        this.valuesStart = keyTileBytes * numKvHeads * layout.numBlocks();
        this.layerStride = valuesStart + valueTileBytes * numKvHeads * layout.numBlocks();
        this.arena = Arena.ofShared();
        this.memory = arena.allocate(layerStride * layout.numLayers(), PAGE_BYTES);
    }

    /**
     * Bytes one block takes over all layers, key padding included: what the engine must budget per
     * block (more than {@link KvCacheLayout#bytesPerBlock} when the block size is not a multiple of
     * {@link #KEY_LANES}).
     */
    public static long bytesPerBlock(int numLayers, int numKvHeads, int headDim, int blockSize, int elementBytes) {
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be at least 1 token, got " + blockSize);
        }
        return (long) numLayers * numKvHeads * headDim * (keyStride(blockSize) + blockSize)
                * checkedElementBytes(elementBytes);
    }

    private static int checkedElementBytes(int bytes) {
        if (bytes != Float.BYTES && bytes != Short.BYTES) {
            throw new IllegalArgumentException("the CPU KV cache stores F32 (4 bytes per element) or F16 (2), not "
                    + bytes + "-byte elements");
        }
        return bytes;
    }

    /** Slots of a key row: the block size rounded up to {@link #KEY_LANES}. */
    private static int keyStride(int blockSize) {
        return (blockSize + KEY_LANES - 1) / KEY_LANES * KEY_LANES;
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

    /** Whether elements are F16 (2 bytes) rather than F32. */
    public boolean isHalf() {
        return elementBytes == Short.BYTES;
    }

    /** Bytes of one element: 4 (F32) or 2 (F16). */
    public int elementBytes() {
        return elementBytes;
    }

    /** Elements between consecutive rows (head dimensions) of a key tile: {@code blockSize} rounded up. */
    public int keyStride() {
        return keyStride;
    }

    /** Byte offset of the transposed key tile {@code [headDim][keyStride]} of one block and KV head. */
    public long keyTile(int layer, int block, int kvHead) {
        return layer * layerStride + ((long) block * numKvHeads + kvHead) * keyTileBytes;
    }

    /** Byte offset of the value tile {@code [blockSize][headDim]} of one block and KV head. */
    public long valueTile(int layer, int block, int kvHead) {
        return layer * layerStride + valuesStart + ((long) block * numKvHeads + kvHead) * valueTileBytes;
    }

    /** Element {@code d} of the key of context index {@code pos} (through {@code blockTable}). */
    public float key(int layer, int kvHead, int[] blockTable, int pos, int d) {
        long tile = keyTile(layer, blockTable[pos / blockSize], kvHead);
        return element(tile + ((long) d * keyStride + pos % blockSize) * elementBytes);
    }

    /** Element {@code d} of the value of context index {@code pos} (through {@code blockTable}). */
    public float value(int layer, int kvHead, int[] blockTable, int pos, int d) {
        long tile = valueTile(layer, blockTable[pos / blockSize], kvHead);
        return element(tile + ((long) (pos % blockSize) * headDim + d) * elementBytes);
    }

    /** The element at byte offset {@code at}, as a float. */
    public float element(long at) {
        return elementBytes == Float.BYTES ? memory.get(ELEMENT, at) : Float.float16ToFloat(memory.get(HALF, at));
    }

    private void put(long at, float v) {
        if (elementBytes == Float.BYTES) {
            memory.set(ELEMENT, at, v);
        } else {
            memory.set(HALF, at, Float.floatToFloat16(Math.max(-HALF_MAX, Math.min(HALF_MAX, v))));
        }
    }

    /**
     * Stores one token's keys and values ({@code numKvHeads x headDim} each, head after head) in
     * {@code slot} of {@code layer}.
     */
    public void write(int layer, int slot, float[] keys, int keysOffset, float[] values, int valuesOffset) {
        int block = slot / blockSize;
        int offset = slot % blockSize;
        long keyRowBytes = (long) keyStride * elementBytes;
        for (int h = 0; h < numKvHeads; h++) {
            long keyColumn = keyTile(layer, block, h) + (long) offset * elementBytes;
            for (int d = 0; d < headDim; d++) {
                put(keyColumn + d * keyRowBytes, keys[keysOffset + h * headDim + d]);
            }
            long valueRow = valueTile(layer, block, h) + (long) offset * headDim * elementBytes;
            if (elementBytes == Float.BYTES) {
                MemorySegment.copy(values, valuesOffset + h * headDim, memory, ELEMENT, valueRow, headDim);
            } else {
                for (int d = 0; d < headDim; d++) {
                    put(valueRow + (long) d * elementBytes, values[valuesOffset + h * headDim + d]);
                }
            }
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
