package dev.infera.core.backend;

import dev.infera.core.model.ModelConfig;

/**
 * The shape of a paged KV cache: {@code numBlocks} blocks of {@code blockSize} token slots, each slot
 * holding one token's keys and values for every layer and KV head. Slot {@code s} is offset
 * {@code s % blockSize} of block {@code s / blockSize}. How a backend arranges the bytes is its own
 * affair; this record is what the engine and the batches agree on.
 */
public record KvCacheLayout(int numLayers, int numKvHeads, int headDim, int numBlocks, int blockSize,
        int bytesPerElement) {

    public KvCacheLayout {
        if (numLayers < 1 || numKvHeads < 1 || headDim < 1 || bytesPerElement < 1) {
            throw new IllegalArgumentException("KV cache dimensions must be positive: layers " + numLayers
                    + ", KV heads " + numKvHeads + ", head dim " + headDim + ", bytes per element " + bytesPerElement);
        }
        if (numBlocks < 1) {
            throw new IllegalArgumentException("numBlocks must be at least 1, got " + numBlocks);
        }
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be at least 1 token, got " + blockSize);
        }
        if ((long) numBlocks * blockSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("numBlocks " + numBlocks + " x blockSize " + blockSize
                    + " exceeds the int slot range");
        }
    }

    /** The layout for a model, with one element of {@code bytesPerElement} bytes per K or V value. */
    public static KvCacheLayout forModel(ModelConfig config, int numBlocks, int blockSize, int bytesPerElement) {
        return new KvCacheLayout(config.numLayers(), config.numKvHeads(), config.headDim(), numBlocks, blockSize,
                bytesPerElement);
    }

    /** Bytes one block takes for a model, before any cache exists (K and V, all layers). */
    public static long bytesPerBlock(ModelConfig config, int blockSize, int bytesPerElement) {
        return 2L * config.numLayers() * config.numKvHeads() * config.headDim() * blockSize * bytesPerElement;
    }

    public int numSlots() {
        return numBlocks * blockSize;
    }

    public long bytesPerBlock() {
        return 2L * numLayers * numKvHeads * headDim * blockSize * bytesPerElement;
    }

    public long totalBytes() {
        return bytesPerBlock() * numBlocks;
    }
}
