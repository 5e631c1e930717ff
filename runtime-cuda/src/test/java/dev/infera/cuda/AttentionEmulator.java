package dev.infera.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.LongFunction;

/**
 * The Java port of {@code attention.cuh}: split decode attention and its reduce, and tiled prefill
 * attention with an online softmax, block by block as the grid covers them. Each also checks that the
 * launch gives it the dynamic shared memory its layout takes.
 */
final class AttentionEmulator {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;

    private AttentionEmulator() {
    }

    private static long kvIndex(MemorySegment tables, long tableBase, int t, int kvHead, int kvHeads, int blockSize,
            int headDim) {
        long block = tables.getAtIndex(I, tableBase + t / blockSize);
        return ((block * kvHeads + kvHead) * blockSize + t % blockSize) * headDim;
    }

    static void decode(LongFunction<MemorySegment> mem, boolean bf16, int gx, int gy, int gz, int threads, int shared,
            long[] p) {
        MemorySegment qkv = mem.apply(p[0]);
        int rowStride = (int) p[1];
        MemorySegment entries = mem.apply(p[2]);
        MemorySegment positions = mem.apply(p[3]);
        MemorySegment tables = mem.apply(p[4]);
        int tableStride = (int) p[5];
        MemorySegment keys = mem.apply(p[6]);
        MemorySegment values = mem.apply(p[7]);
        MemorySegment partOut = mem.apply(p[8]);
        MemorySegment partMax = mem.apply(p[9]);
        MemorySegment partSum = mem.apply(p[10]);
        int heads = (int) p[11];
        int kvHeads = (int) p[12];
        int headDim = (int) p[13];
        int blockSize = (int) p[14];
        int partition = (int) p[15];
        int splits = (int) p[16];
        float scale = Float.intBitsToFloat((int) p[17]);
        int group = heads / kvHeads;
        if (gy != kvHeads || gz != splits || threads % 32 != 0) {
            throw new IllegalStateException("decode attention grid " + gy + " x " + gz + " for " + kvHeads
                    + " KV heads and " + splits + " splits, " + threads + " threads");
        }
        if (shared < group * (headDim + partition) * 4) {
            throw new IllegalStateException("decode attention needs " + group * (headDim + partition) * 4
                    + " bytes of shared memory, the launch gives " + shared);
        }
        for (int entry = 0; entry < gx; entry++) {
            int row = entries.getAtIndex(I, 2L * entry);
            long tableBase = (long) entries.getAtIndex(I, 2L * entry + 1) * tableStride;
            int context = positions.getAtIndex(I, row) + 1;
            for (int kvHead = 0; kvHead < gy; kvHead++) {
                for (int split = 0; split < gz; split++) {
                    int start = split * partition;
                    if (start >= context) {
                        continue;
                    }
                    int end = Math.min(context, start + partition);
                    for (int g = 0; g < group; g++) {
                        int head = kvHead * group + g;
                        long q = (long) row * rowStride + (long) head * headDim;
                        float[] scores = new float[end - start];
                        float max = Float.NEGATIVE_INFINITY;
                        for (int t = start; t < end; t++) {
                            long k = kvIndex(tables, tableBase, t, kvHead, kvHeads, blockSize, headDim);
                            float dot = 0;
                            for (int d = 0; d < headDim; d++) {
                                dot += qkv.getAtIndex(F, q + d) * scale * KernelEmulator.kvElement(keys, k + d, bf16);
                            }
                            scores[t - start] = dot;
                            max = Math.max(max, dot);
                        }
                        float sum = 0;
                        for (int i = 0; i < scores.length; i++) {
                            scores[i] = (float) Math.exp(scores[i] - max);
                            sum += scores[i];
                        }
                        long idx = ((long) entry * heads + head) * splits + split;
                        partMax.setAtIndex(F, idx, max);
                        partSum.setAtIndex(F, idx, sum);
                        for (int d = 0; d < headDim; d++) {
                            float acc = 0;
                            for (int t = start; t < end; t++) {
                                long v = kvIndex(tables, tableBase, t, kvHead, kvHeads, blockSize, headDim);
                                acc += scores[t - start] * KernelEmulator.kvElement(values, v + d, bf16);
                            }
                            partOut.setAtIndex(F, idx * headDim + d, acc);
                        }
                    }
                }
            }
        }
    }

    static void reduce(LongFunction<MemorySegment> mem, int gx, int gy, long[] p) {
        MemorySegment partOut = mem.apply(p[0]);
        MemorySegment partMax = mem.apply(p[1]);
        MemorySegment partSum = mem.apply(p[2]);
        MemorySegment entries = mem.apply(p[3]);
        MemorySegment positions = mem.apply(p[4]);
        MemorySegment att = mem.apply(p[5]);
        int heads = (int) p[6];
        int headDim = (int) p[7];
        int partition = (int) p[8];
        int splits = (int) p[9];
        for (int entry = 0; entry < gx; entry++) {
            int row = entries.getAtIndex(I, 2L * entry);
            int context = positions.getAtIndex(I, row) + 1;
            int valid = Math.min(splits, (context + partition - 1) / partition);
            for (int head = 0; head < gy; head++) {
                long base = ((long) entry * heads + head) * splits;
                float max = Float.NEGATIVE_INFINITY;
                for (int s = 0; s < valid; s++) {
                    max = Math.max(max, partMax.getAtIndex(F, base + s));
                }
                float denominator = 0;
                for (int s = 0; s < valid; s++) {
                    denominator += partSum.getAtIndex(F, base + s) * (float) Math.exp(partMax.getAtIndex(F, base + s) - max);
                }
                for (int d = 0; d < headDim; d++) {
                    float numerator = 0;
                    for (int s = 0; s < valid; s++) {
                        numerator += partOut.getAtIndex(F, (base + s) * headDim + d)
                                * (float) Math.exp(partMax.getAtIndex(F, base + s) - max);
                    }
                    att.setAtIndex(F, (long) row * heads * headDim + (long) head * headDim + d, numerator / denominator);
                }
            }
        }
    }

    static void prefill(LongFunction<MemorySegment> mem, boolean bf16, int gx, int gy, int shared, long[] p) {
        MemorySegment qkv = mem.apply(p[0]);
        int rowStride = (int) p[1];
        MemorySegment tiles = mem.apply(p[2]);
        MemorySegment positions = mem.apply(p[3]);
        MemorySegment tables = mem.apply(p[4]);
        int tableStride = (int) p[5];
        MemorySegment keys = mem.apply(p[6]);
        MemorySegment values = mem.apply(p[7]);
        MemorySegment att = mem.apply(p[8]);
        int heads = (int) p[9];
        int kvHeads = (int) p[10];
        int headDim = (int) p[11];
        int blockSize = (int) p[12];
        int tileQ = (int) p[13];
        int tileK = (int) p[14];
        float scale = Float.intBitsToFloat((int) p[15]);
        int need = (2 * tileQ * headDim + 2 * tileK * headDim + tileQ * tileK + 3 * tileQ) * 4;
        if (shared < need || gy != heads) {
            throw new IllegalStateException("prefill attention needs " + need + " bytes of shared memory and "
                    + heads + " heads of blocks, the launch gives " + shared + " and " + gy);
        }
        for (int tile = 0; tile < gx; tile++) {
            int firstRow = tiles.getAtIndex(I, 4L * tile);
            int numRows = tiles.getAtIndex(I, 4L * tile + 1);
            long tableBase = (long) tiles.getAtIndex(I, 4L * tile + 2) * tableStride;
            if (numRows < 1 || numRows > tileQ) {
                throw new IllegalStateException("prefill tile of " + numRows + " rows, tile_q " + tileQ);
            }
            int firstPos = positions.getAtIndex(I, firstRow);
            int lastPos = firstPos + numRows - 1;
            for (int head = 0; head < heads; head++) {
                int kvHead = head / (heads / kvHeads);
                // The kernel's tile loop: keys in tiles of tile_k, a running max and sum per query row.
                float[][] o = new float[tileQ][headDim];
                float[] m = new float[tileQ];
                float[] l = new float[tileQ];
                Arrays.fill(m, Float.NEGATIVE_INFINITY);
                for (int k0 = 0; k0 <= lastPos; k0 += tileK) {
                    int kn = Math.min(tileK, lastPos + 1 - k0);
                    for (int r = 0; r < tileQ; r++) {
                        float[] s = new float[tileK];
                        Arrays.fill(s, Float.NEGATIVE_INFINITY);
                        for (int j = 0; j < kn; j++) {
                            if (r < numRows && k0 + j <= firstPos + r) {
                                long q = (long) (firstRow + r) * rowStride + (long) head * headDim;
                                long k = kvIndex(tables, tableBase, k0 + j, kvHead, kvHeads, blockSize, headDim);
                                float dot = 0;
                                for (int d = 0; d < headDim; d++) {
                                    dot += qkv.getAtIndex(F, q + d) * scale * KernelEmulator.kvElement(keys, k + d, bf16);
                                }
                                s[j] = dot;
                            }
                        }
                        float mNew = m[r];
                        for (float v : s) {
                            mNew = Math.max(mNew, v);
                        }
                        if (mNew == Float.NEGATIVE_INFINITY) {
                            continue;
                        }
                        float alpha = (float) Math.exp(m[r] - mNew);
                        float sum = 0;
                        for (int j = 0; j < tileK; j++) {
                            s[j] = s[j] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(s[j] - mNew);
                            sum += s[j];
                        }
                        l[r] = l[r] * alpha + sum;
                        m[r] = mNew;
                        for (int d = 0; d < headDim; d++) {
                            float acc = o[r][d] * alpha;
                            for (int j = 0; j < kn; j++) {
                                long v = kvIndex(tables, tableBase, k0 + j, kvHead, kvHeads, blockSize, headDim);
                                acc += s[j] * KernelEmulator.kvElement(values, v + d, bf16);
                            }
                            o[r][d] = acc;
                        }
                    }
                }
                for (int r = 0; r < numRows; r++) {
                    for (int d = 0; d < headDim; d++) {
                        att.setAtIndex(F, (long) (firstRow + r) * heads * headDim + (long) head * headDim + d, o[r][d] / l[r]);
                    }
                }
            }
        }
    }
}
