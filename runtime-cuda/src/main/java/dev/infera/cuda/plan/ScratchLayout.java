package dev.infera.cuda.plan;

import java.util.EnumMap;
import java.util.Map;

/**
 * Sizes and offsets of the scratch buffers inside the backend's one scratch allocation, for a capacity
 * (token rows, sample rows, decode splits, metadata ints). Every buffer starts at a multiple of
 * {@link WeightFormat#ALIGNMENT} bytes. The backend grows the capacity (to the next power of two of what
 * a step needs) and reallocates when a step does not fit; every captured CUDA graph then refers to the
 * old addresses and is dropped.
 */
public final class ScratchLayout {

    /** How much a scratch allocation can hold. */
    public record Capacity(int tokens, int samples, int splits, int metaInts) {

        public Capacity {
            if (tokens < 1 || samples < 1 || splits < 1 || metaInts < 1) {
                throw new IllegalArgumentException("scratch capacity must be positive: " + tokens + " tokens, "
                        + samples + " samples, " + splits + " splits, " + metaInts + " metadata ints");
            }
        }

        public boolean holds(StepShape s, int splitsNeeded, int metaIntsNeeded) {
            return s.numTokens() <= tokens && s.numSampleRows() <= samples && splitsNeeded <= splits
                    && metaIntsNeeded <= metaInts;
        }

        /** This capacity grown, each dimension to the next power of two, until it holds the step. */
        public Capacity grownFor(StepShape s, int splitsNeeded, int metaIntsNeeded) {
            return new Capacity(grow(tokens, s.numTokens()), grow(samples, s.numSampleRows()),
                    grow(splits, splitsNeeded), grow(metaInts, metaIntsNeeded));
        }

        private static int grow(int current, int needed) {
            if (needed <= current) {
                return current;
            }
            int p = Integer.highestOneBit(needed);
            return p == needed ? p : Math.max(needed, p << 1);
        }
    }

    private final Capacity capacity;
    private final Map<Buffer, Long> offsets = new EnumMap<>(Buffer.class);
    private final Map<Buffer, Long> sizes = new EnumMap<>(Buffer.class);
    private final long totalBytes;

    private ScratchLayout(Capacity capacity, Map<Buffer, Long> bytes) {
        this.capacity = capacity;
        long at = 0;
        for (Buffer b : Buffer.values()) {
            if (b == Buffer.KV_CACHE) {
                continue;
            }
            long n = bytes.getOrDefault(b, 0L);
            offsets.put(b, at);
            sizes.put(b, n);
            at += WeightFormat.alignUp(n);
        }
        this.totalBytes = Math.max(at, WeightFormat.ALIGNMENT);
    }

    /**
     * The layout for a model at a capacity; quantized matrices are expanded for cuBLAS in row chunks of
     * at most {@code dequantChunkBytes} (see {@link #dequantChunkRows}).
     */
    public static ScratchLayout of(ModelShape m, AttentionConfig attention, Capacity c, long dequantChunkBytes) {
        long t = c.tokens();
        long s = c.samples();
        Map<Buffer, Long> bytes = new EnumMap<>(Buffer.class);
        bytes.put(Buffer.X, t * m.dim() * 4);
        bytes.put(Buffer.XB, t * m.dim() * 4);
        bytes.put(Buffer.QKV, t * m.qkvRows() * 4);
        bytes.put(Buffer.ATT, t * m.queryDim() * 4);
        bytes.put(Buffer.PROJ, t * m.dim() * 4);
        bytes.put(Buffer.GATE_UP, t * 2L * m.ffn() * 4);
        bytes.put(Buffer.ACT, t * m.ffn() * 4);
        boolean gemms = Math.max(t, s) > StepPlanner.MATVEC_MAX_TOKENS;
        if (gemms && m.hasHalfPrecisionMatrix()) {
            bytes.put(Buffer.GEMM_INPUT, Math.max(t, s) * m.maxCols() * 2);
        }
        if (gemms) {
            long dequant = 0;
            for (int[] rc : m.quantizedMatrixShapes()) {
                dequant = Math.max(dequant, (long) Math.min(rc[0], dequantChunkRows(rc[1], dequantChunkBytes)) * rc[1] * 2);
            }
            bytes.put(Buffer.DEQUANT, dequant);
        }
        long partials = t * m.numHeads() * c.splits();
        bytes.put(Buffer.PART_OUT, partials * m.headDim() * 4);
        bytes.put(Buffer.PART_MAX, partials * 4);
        bytes.put(Buffer.PART_SUM, partials * 4);
        bytes.put(Buffer.SAMPLE_XB, s * m.dim() * 4);
        bytes.put(Buffer.LOGITS, s * m.vocab() * 4);
        bytes.put(Buffer.ARGMAX, s * 4);
        bytes.put(Buffer.META, (long) c.metaInts() * 4);
        return new ScratchLayout(c, bytes);
    }

    /** Rows of a quantized matrix with {@code cols} columns expanded to BF16 at a time: a multiple of 64, at least 64. */
    public static int dequantChunkRows(int cols, long chunkBytes) {
        long rows = chunkBytes / (2L * cols) / 64 * 64;
        return (int) Math.max(64, Math.min(rows, Integer.MAX_VALUE / 2));
    }

    public Capacity capacity() {
        return capacity;
    }

    public long offset(Buffer b) {
        return offsets.get(b);
    }

    public long bytes(Buffer b) {
        return sizes.get(b);
    }

    public long totalBytes() {
        return totalBytes;
    }
}
