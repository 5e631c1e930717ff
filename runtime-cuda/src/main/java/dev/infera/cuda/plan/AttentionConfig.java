package dev.infera.cuda.plan;

/**
 * Tile sizes of the attention kernels for one model, chosen so their dynamic shared memory fits the
 * 48 KiB every supported GPU gives a block without opting in: the decode partition (context tokens one
 * thread block scores; the largest of 512, 256, 128, 64 that fits) and the prefill tile (query rows x
 * key rows streamed per step; the most query rows first, then the most key rows).
 */
public record AttentionConfig(int partitionTokens, int tileQ, int tileK) {

    /** Dynamic shared memory a block may use (48 KiB less the kernels' static reduction scratch). */
    public static final int MAX_DYNAMIC_SHARED_BYTES = 48 * 1024 - 256;
    static final int[] PARTITIONS = {512, 256, 128, 64};
    static final int[] TILE_Q = {16, 8, 4, 2, 1};
    static final int[] TILE_K = {32, 16, 8};

    public static AttentionConfig choose(ModelShape m) {
        int partition = 0;
        for (int p : PARTITIONS) {
            if (decodeSharedBytes(m, p) <= MAX_DYNAMIC_SHARED_BYTES) {
                partition = p;
                break;
            }
        }
        for (int tq : TILE_Q) {
            for (int tk : TILE_K) {
                if (partition > 0 && prefillSharedBytes(m.headDim(), tq, tk) <= MAX_DYNAMIC_SHARED_BYTES) {
                    return new AttentionConfig(partition, tq, tk);
                }
            }
        }
        throw new IllegalArgumentException("attention with head dimension " + m.headDim() + " and "
                + m.headsPerKvHead() + " query heads per KV head does not fit the CUDA kernels' shared memory");
    }

    static int decodeSharedBytes(ModelShape m, int partition) {
        return m.headsPerKvHead() * (m.headDim() + partition) * Float.BYTES;
    }

    static int prefillSharedBytes(int headDim, int tileQ, int tileK) {
        return (2 * tileQ * headDim + 2 * tileK * headDim + tileQ * tileK + 3 * tileQ) * Float.BYTES;
    }

    public int decodeSharedBytes(ModelShape m) {
        return decodeSharedBytes(m, partitionTokens);
    }

    public int prefillSharedBytes(ModelShape m) {
        return prefillSharedBytes(m.headDim(), tileQ, tileK);
    }

    /** Decode splits that cover every context a block table of {@code tableStride} blocks can hold. */
    public int splits(int tableStride, int blockSize) {
        long tokens = (long) tableStride * blockSize;
        return (int) ((tokens + partitionTokens - 1) / partitionTokens);
    }
}
