package dev.infera.cuda.plan;

import dev.infera.core.backend.StepBatch;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Lays a {@link StepBatch} out as the int32 metadata the kernels read ({@link MetadataLayout}): the
 * shape of a step run directly (sequences with one new token become decode entries, longer ones
 * prefill tiles of up to {@code tileQ} rows), the padded shape of a replayed graph, and the writing of
 * either into host memory. Padding rows of a graph get token 0 at position 0, slot -1 (nothing is
 * written to the cache), an all-zero block table and their own sample row: their work is valid but
 * unused.
 */
public final class StepMetadata {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private StepMetadata() {
    }

    /** The shape of a batch run without a graph. */
    public static StepShape directShape(StepBatch b, int tileQ) {
        int decode = 0;
        int tiles = 0;
        for (int s = 0; s < b.numSeqs(); s++) {
            int len = b.queryStart(s + 1) - b.queryStart(s);
            if (len == 1) {
                decode++;
            } else {
                tiles += (len + tileQ - 1) / tileQ;
            }
        }
        return new StepShape(b.numTokens(), b.numSeqs(), decode, tiles, b.numSampleRows(),
                GraphBuckets.blocksNeeded(b));
    }

    /** The padded shape of a graph. */
    public static StepShape graphShape(GraphBuckets.Key key) {
        return new StepShape(key.rows(), key.rows(), key.rows(), 0, key.rows(), key.tableStride());
    }

    /**
     * Writes the batch's metadata for {@code shape} (its own {@link #directShape}, or a graph shape the
     * batch fits) into {@code dst}, which must hold {@code MetadataLayout.of(shape).totalInts()} ints.
     */
    public static void write(StepBatch b, StepShape shape, int tileQ, MemorySegment dst) {
        MetadataLayout at = MetadataLayout.of(shape);
        if (dst.byteSize() < 4L * at.totalInts()) {
            throw new IllegalArgumentException("metadata needs " + at.totalInts() + " ints, the buffer holds "
                    + dst.byteSize() / 4);
        }
        int n = b.numTokens();
        for (int row = 0; row < shape.numTokens(); row++) {
            boolean real = row < n;
            dst.setAtIndex(INT, at.tokens() + row, real ? b.tokenId(row) : 0);
            dst.setAtIndex(INT, at.positions() + row, real ? b.position(row) : 0);
            dst.setAtIndex(INT, at.slots() + row, real ? b.slot(row) : -1);
        }
        int stride = shape.tableStride();
        for (int s = 0; s < shape.numSeqs(); s++) {
            int[] table = s < b.numSeqs() ? b.blockTable(s) : new int[0];
            int base = at.blockTables() + s * stride;
            for (int i = 0; i < stride; i++) {
                dst.setAtIndex(INT, base + i, i < table.length ? table[i] : 0);
            }
        }
        int entry = 0;
        int tile = 0;
        for (int s = 0; s < b.numSeqs(); s++) {
            int start = b.queryStart(s);
            int end = b.queryStart(s + 1);
            if (end - start == 1) {
                dst.setAtIndex(INT, at.decodeEntries() + 2 * entry, start);
                dst.setAtIndex(INT, at.decodeEntries() + 2 * entry + 1, s);
                entry++;
                continue;
            }
            for (int first = start; first < end; first += tileQ) {
                int base = at.prefillTiles() + 4 * tile;
                dst.setAtIndex(INT, base, first);
                dst.setAtIndex(INT, base + 1, Math.min(tileQ, end - first));
                dst.setAtIndex(INT, base + 2, s);
                dst.setAtIndex(INT, base + 3, 0);
                tile++;
            }
        }
        if (entry > shape.numDecodeEntries() || tile != shape.numPrefillTiles()) {
            throw new IllegalArgumentException("the batch has " + entry + " decode entries and " + tile
                    + " prefill tiles, the shape " + shape);
        }
        for (; entry < shape.numDecodeEntries(); entry++) {
            dst.setAtIndex(INT, at.decodeEntries() + 2 * entry, entry);
            dst.setAtIndex(INT, at.decodeEntries() + 2 * entry + 1, entry);
        }
        for (int i = 0; i < shape.numSampleRows(); i++) {
            dst.setAtIndex(INT, at.sampleRows() + i, i < b.numSampleRows() ? b.sampleRow(i) : i);
        }
    }
}
