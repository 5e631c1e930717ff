package dev.infera.cuda.plan;

/**
 * Where each part of a step's int32 metadata sits in the {@link Buffer#META} buffer (offsets in ints):
 * token ids, positions and KV slots per row; block tables ({@code numSeqs x tableStride}); decode
 * entries ({@code (row, seq)} pairs); prefill tiles ({@code (firstRow, numRows, seq, 0)}); sample rows.
 * The host writes it all and uploads it in one copy before the step's launches.
 */
public record MetadataLayout(int tokens, int positions, int slots, int blockTables, int decodeEntries,
        int prefillTiles, int sampleRows, int totalInts) {

    public static MetadataLayout of(StepShape s) {
        int tokens = 0;
        int positions = tokens + s.numTokens();
        int slots = positions + s.numTokens();
        int tables = slots + s.numTokens();
        int decode = Math.addExact(tables, Math.multiplyExact(s.numSeqs(), s.tableStride()));
        int tiles = decode + 2 * s.numDecodeEntries();
        int samples = tiles + 4 * s.numPrefillTiles();
        return new MetadataLayout(tokens, positions, slots, tables, decode, tiles, samples, samples + s.numSampleRows());
    }

    /** A pointer argument to the part that starts at int offset {@code ints}. */
    static Arg.Ptr at(int ints) {
        return Arg.ptr(Buffer.META, 4L * ints);
    }
}
