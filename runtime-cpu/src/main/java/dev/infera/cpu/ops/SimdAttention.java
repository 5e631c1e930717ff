package dev.infera.cpu.ops;

import dev.infera.cpu.kernels.SpeciesSpecializer;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API {@link AttentionKernel}: plain Java that plans the work and calls the vector phases
 * of a hidden copy of {@code AttentionTemplate} made for one species (where the species is a JIT
 * constant).
 *
 * <p>A tile's {@code numRows x numHeads} queries (row-major) are taken in groups of four; the last
 * group repeats its last query to fill up (the copy computes and stores exactly the same values).
 * Three phases, each its own compiled unit reached through a method handle that C2 cannot inline
 * across (so no method holds more vector work than C2 compiles without boxing):
 * <ol>
 *   <li>scores: for every group and run of keys, {@code scale * q . K[j]} with vectors spanning keys
 *       (transposed key tiles), into one score row per query;</li>
 *   <li>softmax numerators: per query, {@code p[j] = exp(s[j] - max)} in place over its own context,
 *       returning their sum;</li>
 *   <li>values: for every group, {@code out += p[j] * V[j]}, vectors spanning the head dimension; the
 *       sum is divided out at the end (one multiply per output element instead of per score).</li>
 * </ol>
 * Scores and values walk the context in chunks of about {@link #CHUNK_KEYS} keys, every group of the
 * tile passing over a chunk before the next, so a prefill tile reads each K/V tile from memory about
 * once and then from cache.
 *
 * <p>Batch invariance: every query's arithmetic is fixed by its own context length alone. A score is
 * one FMA chain over the head dimension; a value slice is one FMA chain per block over the block's
 * keys in order, stored between blocks; the exp and sum split into vector body and tail by the
 * query's context length. Groups, chunks, copies used as filler and the tile's other rows only decide
 * which calls do that work, not its order, so a row computes bit for bit the same alone or in a tile.
 */
final class SimdAttention implements AttentionKernel {

    /** Keys per pass of all groups of a tile (a few K/V tiles, L1/L2 resident while reused). */
    private static final int CHUNK_KEYS = 256;
    /** Queries per call of the score and value phases. */
    private static final int G = 4;
    /**
     * Lanes from which the four-wide phases run (16 accumulators): 16-lane species mean AVX-512 and
     * its 32 vector registers; with AVX2's 16 the accumulators spill (docs/performance.md item 12).
     */
    private static final int WIDE_LANES = 16;

    /**
     * The phases; instance fields are not JIT constants, so each call is an inlining barrier and each
     * phase compiles on its own.
     */
    private final MethodHandle scorePhase;
    private final MethodHandle expPhase;
    private final MethodHandle valuePhase;
    private final int lanes;
    /** Head slices of {@code lanes} floats per value-phase call: 4 with the wide phases, else 2. */
    private final int slicesPerCall;

    SimdAttention(VectorSpecies<Float> species) {
        this.lanes = species.length();
        MethodHandles.Lookup template = SpeciesSpecializer.define(MethodHandles.lookup(), "AttentionTemplate", species);
        Class<?> phases = template.lookupClass();
        try {
            boolean wide = lanes >= WIDE_LANES;
            scorePhase = template.findStatic(phases, wide ? "scores4" : "scores2", MethodType.methodType(void.class,
                    float[].class, int.class, int.class, int.class, int.class, float[].class, int.class, int.class,
                    int.class, int.class, PagedKvCache.class, int.class, int.class, int[].class, int.class, int.class,
                    float.class));
            expPhase = template.findStatic(phases, "expRow", MethodType.methodType(float.class, float[].class,
                    int.class, int.class));
            MethodType twoSlices = MethodType.methodType(void.class, float[].class, int.class, int.class, int.class,
                    int.class, float[].class, int.class, int.class, int.class, int.class, int.class, int.class,
                    PagedKvCache.class, int.class, int.class, int[].class, int.class, int.class, int.class);
            // Both forms are called with four slice offsets; the two-wide one ignores the last two.
            valuePhase = wide
                    ? template.findStatic(phases, "values4", twoSlices.insertParameterTypes(12, int.class, int.class))
                    : MethodHandles.dropArguments(template.findStatic(phases, "values2", twoSlices), 12, int.class,
                            int.class);
            slicesPerCall = wide ? 4 : 2;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("attention phase missing from the kernel template", e);
        }
    }

    @Override
    public void attend(float[] q, int qOffset, int rowStride, int numRows, int numHeads, PagedKvCache cache,
            int layer, int kvHead, int[] blockTable, int firstContextLen, float scale, float[] scratch, float[] out,
            int outOffset) {
        try {
            run(q, qOffset, rowStride, numRows, numHeads, cache, layer, kvHead, blockTable, firstContextLen, scale,
                    scratch, out, outOffset);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private void run(float[] q, int qOffset, int rowStride, int numRows, int numHeads, PagedKvCache cache,
            int layer, int kvHead, int[] blockTable, int firstContextLen, float scale, float[] scratch, float[] out,
            int outOffset) throws Throwable {
        int headDim = cache.headDim();
        int blockSize = cache.blockSize();
        int numQueries = numRows * numHeads;
        int lastContext = firstContextLen + numRows - 1;
        int rowFloats = AttentionKernel.scoreRowFloats(lastContext, blockSize);
        int sums = numQueries * rowFloats;
        int keyGroupsPerBlock = (blockSize + lanes - 1) / lanes;
        int chunkBlocks = Math.max(1, CHUNK_KEYS / blockSize);
        int blocks = blocksFor(lastContext, blockSize);
        for (int b0 = 0; b0 < blocks; b0 += chunkBlocks) {
            for (int first = 0; first < numQueries; first += G) {
                int last = Math.min(first + G, numQueries) - 1;
                int b1 = Math.min(b0 + chunkBlocks, blocksFor(firstContextLen + last / numHeads, blockSize));
                if (b1 > b0) {
                    int i1 = Math.min(first + 1, last);
                    int i2 = Math.min(first + 2, last);
                    int i3 = Math.min(first + 3, last);
                    scorePhase.invokeExact(q, qAt(first, qOffset, rowStride, numHeads, headDim),
                            qAt(i1, qOffset, rowStride, numHeads, headDim),
                            qAt(i2, qOffset, rowStride, numHeads, headDim),
                            qAt(i3, qOffset, rowStride, numHeads, headDim), scratch, first * rowFloats,
                            i1 * rowFloats, i2 * rowFloats, i3 * rowFloats, cache, layer, kvHead, blockTable,
                            b0 * keyGroupsPerBlock, b1 * keyGroupsPerBlock, scale);
                }
            }
        }
        for (int i = 0; i < numQueries; i++) {
            int context = firstContextLen + i / numHeads;
            scratch[sums + i] = (float) expPhase.invokeExact(scratch, i * rowFloats, context);
            int o = qAt(i, outOffset, rowStride, numHeads, headDim);
            Arrays.fill(out, o, o + headDim, 0f);
        }
        int vectorDims = headDim / lanes * lanes;
        for (int b0 = 0; b0 < blocks; b0 += chunkBlocks) {
            for (int first = 0; first < numQueries; first += G) {
                int last = Math.min(first + G, numQueries) - 1;
                int shortest = firstContextLen + first / numHeads;
                int longest = firstContextLen + last / numHeads;
                int shared = shortest == longest ? blocksFor(shortest, blockSize) : shortest / blockSize;
                int b1 = Math.min(b0 + chunkBlocks, shared);
                if (b1 > b0) {
                    addValues(first, last, rowFloats, numHeads, headDim, vectorDims, outOffset, rowStride, cache,
                            layer, kvHead, blockTable, b0, b1, shortest, scratch, out);
                }
            }
        }
        for (int first = 0; first < numQueries; first += G) {
            int last = Math.min(first + G, numQueries) - 1;
            int shortest = firstContextLen + first / numHeads;
            if (shortest != firstContextLen + last / numHeads) {
                for (int i = first; i <= last; i++) {
                    int context = firstContextLen + i / numHeads;
                    addValues(i, i, rowFloats, numHeads, headDim, vectorDims, outOffset, rowStride, cache, layer,
                            kvHead, blockTable, shortest / blockSize, blocksFor(context, blockSize), context, scratch,
                            out);
                }
            }
        }
        for (int i = 0; i < numQueries; i++) {
            int o = qAt(i, outOffset, rowStride, numHeads, headDim);
            int context = firstContextLen + i / numHeads;
            for (int d = vectorDims; d < headDim; d++) {
                out[o + d] = scalarValueSum(cache, layer, kvHead, blockTable, context, d, scratch, i * rowFloats);
            }
            float inverse = 1f / scratch[sums + i];
            for (int d = 0; d < headDim; d++) {
                out[o + d] *= inverse;
            }
        }
    }

    /** Vector slices of the head of queries {@code first..last} (at most a group) over blocks {@code [b0, b1)}. */
    private void addValues(int first, int last, int rowFloats, int numHeads, int headDim,
            int vectorDims, int outOffset, int rowStride, PagedKvCache cache, int layer, int kvHead,
            int[] blockTable, int b0, int b1, int contextLen, float[] scratch, float[] out) throws Throwable {
        int i1 = Math.min(first + 1, last);
        int i2 = Math.min(first + 2, last);
        int i3 = Math.min(first + 3, last);
        int lastSlice = vectorDims - lanes;
        for (int d = 0; d < vectorDims; d += slicesPerCall * lanes) {
            valuePhase.invokeExact(scratch, first * rowFloats, i1 * rowFloats, i2 * rowFloats, i3 * rowFloats, out,
                    qAt(first, outOffset, rowStride, numHeads, headDim),
                    qAt(i1, outOffset, rowStride, numHeads, headDim),
                    qAt(i2, outOffset, rowStride, numHeads, headDim),
                    qAt(i3, outOffset, rowStride, numHeads, headDim),
                    d, Math.min(d + lanes, lastSlice), Math.min(d + 2 * lanes, lastSlice),
                    Math.min(d + 3 * lanes, lastSlice), cache, layer, kvHead, blockTable, b0, b1, contextLen);
        }
    }

    /** Head element {@code d} past the last whole vector: one sequential sum over the context. */
    private static float scalarValueSum(PagedKvCache cache, int layer, int kvHead, int[] blockTable,
            int contextLen, int d, float[] p, int pOffset) {
        int blockSize = cache.blockSize();
        int bytes = cache.elementBytes();
        long rowBytes = (long) cache.headDim() * bytes;
        float sum = 0f;
        for (int start = 0, b = 0; start < contextLen; start += blockSize, b++) {
            long column = cache.valueTile(layer, blockTable[b], kvHead) + (long) d * bytes;
            int n = Math.min(blockSize, contextLen - start);
            for (int o = 0; o < n; o++) {
                sum = Math.fma(p[pOffset + start + o], cache.element(column + o * rowBytes), sum);
            }
        }
        return sum;
    }

    /** Offset of query {@code i} (row {@code i / numHeads}, head {@code i % numHeads}) in q or out. */
    private static int qAt(int i, int offset, int rowStride, int numHeads, int headDim) {
        return offset + i / numHeads * rowStride + i % numHeads * headDim;
    }

    private static int blocksFor(int contextLen, int blockSize) {
        return (contextLen + blockSize - 1) / blockSize;
    }
}
