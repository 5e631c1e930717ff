package dev.infera.cpu.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Per-species batched products over packed activations (implemented by the {@code BroadcastTileKernels}
 * template): the activations are transposed once per call so that one vector holds one column of
 * several activation rows, and decoded weight rows are broadcast element by element against it.
 */
interface BatchKernels {

    /** Floats the packed activations of {@code batch} rows of {@code ld} columns take. */
    long packedFloats(int batch, int ld);

    /**
     * Writes columns {@code [fromCol, toCol)} (multiples of 16, {@code toCol <= ld}) of {@code batch} rows
     * of {@code cols} activations ({@code x[xOffset + b * xStride + c]}) into {@code packed} in the
     * layout {@link #multiply} reads, zero-padded to {@code ld} columns and to whole lane groups (one
     * gather per vector). Calls for disjoint column ranges write disjoint floats, so they may run in
     * parallel. {@code packed} is 64-byte aligned and holds at least {@link #packedFloats} floats;
     * {@code lanes} is scratch for one vector's gather offsets (16 ints).
     */
    void pack(float[] x, int xOffset, int xStride, int batch, int cols, int ld, int fromCol, int toCol,
            int[] lanes, MemorySegment packed);

    /**
     * As {@link #pack}, but every group of activation rows in the widest form (2L rows, one column
     * per lane; the last group zero-padded): with 16 lanes, float {@code g * 32 * ld + k * 32 + r}
     * is column k of row {@code 32 g + r}, the layout {@link RowGroups} reads. {@code packed} holds
     * at least {@code ceil(batch / 2L) * 2L * ld} floats.
     */
    void packWide(float[] x, int xOffset, int xStride, int batch, int cols, int ld, int fromCol, int toCol,
            int[] lanes, MemorySegment packed);

    /**
     * {@code y[yOffset + b * yStride + i] = dot(w row i, x row b)} for {@code i < numRows} (at most 16)
     * and {@code b < batch}: {@code w} holds 16 decoded rows {@code ld} floats apart (rows past
     * {@code numRows} are read but their results dropped), zero-padded to {@code ld};
     * {@code scratch} is per-worker and holds at least {@link #SCRATCH_FLOATS} floats.
     */
    void multiply(MemorySegment w, int numRows, int ld, MemorySegment packed, int batch,
            float[] y, int yOffset, int yStride, float[] scratch);

    /** Scratch floats {@link #multiply} needs per worker: 16 rows by 32 lanes. */
    int SCRATCH_FLOATS = 16 * 32;
}
