package dev.infera.cpu.ops;

import dev.infera.cpu.kernels.SpeciesSpecializer;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template of the vector phases of {@link SimdAttention}; only hidden copies run, each with its
 * species {@link #F} a constant, reached through method handles (one compiled unit per phase).
 *
 * <p>Each phase works on four queries at once (a caller with fewer repeats one: the copy computes and
 * stores the same values), so independent FMA chains keep both FMA pipes busy while each K or V
 * vector loaded is used several times. The work of one query is the same whatever shares the call:
 * <ul>
 *   <li>{@link #scores4} / {@link #scores2}: for a run of transposed key vectors (each {@code L} consecutive keys of one
 *       block), {@code acc = fma(K[d], q[d], acc)} for {@code d = 0 .. headDim-1} from zero, then
 *       {@code acc * scale} stored at the keys' positions; four key vectors (four K tiles read side
 *       by side) or two per step;</li>
 *   <li>{@link #expRow}: max, then {@code exp(s - max)} in place and its sum, over one query's own
 *       context;</li>
 *   <li>{@link #values4} / {@link #values2}: for four slices of {@code L} head elements (a whole
 *       64-float value row at {@code L = 16}) or two, per block
 *       {@code acc = fma(V[o], p[o], acc)} over the block's keys in order, from the output and back.</li>
 * </ul>
 * With 16-lane species (AVX-512: 32 vector registers) the four-wide forms run, 16 accumulators:
 * decode attention waits on memory, and four K tiles in flight, or each value row read once instead
 * of in two passes, gave 476 -> 514 tok/s at 32 streams (docs/performance.md item 12). Narrower
 * species run the two-wide forms (8 accumulators): with AVX2's 16 registers the four-wide ones
 * spill and ran 9-18% slower. Both compute each query identically.
 * Template rules (it is copied as raw bytes): no lambdas, nested classes or enum switches.
 */
final class AttentionTemplate {

    private static final VectorSpecies<Float> F = SpeciesSpecializer.speciesOf(MethodHandles.lookup());
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private AttentionTemplate() {
    }

    /**
     * Scores of queries at {@code qa..qd} into score rows at {@code sa..sd}, for key vectors
     * {@code [k0, k1)} (key vector {@code k} is lanes {@code (k % perBlock) * L ..} of block
     * {@code k / perBlock}, {@code perBlock = ceil(blockSize / L)}). Within a block, vectors are stored
     * in increasing order: with padded key rows a vector may spill past its block into positions the
     * next one overwrites. Four key vectors (four K tiles side by side) per step, 16 accumulators.
     */
    static void scores4(float[] q, int qa, int qb, int qc, int qd, float[] s, int sa, int sb, int sc, int sd,
            PagedKvCache cache, int layer, int kvHead, int[] blockTable, int k0, int k1, float scale) {
        MemorySegment kv = cache.memory();
        int headDim = cache.headDim();
        int blockSize = cache.blockSize();
        boolean half = cache.isHalf();
        int bytes = cache.elementBytes();
        long rowBytes = (long) cache.keyStride() * bytes;
        int perBlock = (blockSize + L - 1) / L;
        for (int k = k0; k < k1; k += 4) {
            int kB = Math.min(k + 1, k1 - 1);
            int kC = Math.min(k + 2, k1 - 1);
            int kD = Math.min(k + 3, k1 - 1);
            int blockA = k / perBlock;
            int blockB = kB / perBlock;
            int blockC = kC / perBlock;
            int blockD = kD / perBlock;
            int colA = (k - blockA * perBlock) * L;
            int colB = (kB - blockB * perBlock) * L;
            int colC = (kC - blockC * perBlock) * L;
            int colD = (kD - blockD * perBlock) * L;
            long tileA = cache.keyTile(layer, blockTable[blockA], kvHead) + (long) colA * bytes;
            long tileB = cache.keyTile(layer, blockTable[blockB], kvHead) + (long) colB * bytes;
            long tileC = cache.keyTile(layer, blockTable[blockC], kvHead) + (long) colC * bytes;
            long tileD = cache.keyTile(layer, blockTable[blockD], kvHead) + (long) colD * bytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
            for (int d = 0; d < headDim; d++) {
                long row = d * rowBytes;
                FloatVector keysA = elements(kv, tileA + row, half);
                FloatVector keysB = elements(kv, tileB + row, half);
                FloatVector keysC = elements(kv, tileC + row, half);
                FloatVector keysD = elements(kv, tileD + row, half);
                FloatVector x = FloatVector.broadcast(F, q[qa + d]);
                a0 = keysA.fma(x, a0);
                a1 = keysB.fma(x, a1);
                a2 = keysC.fma(x, a2);
                a3 = keysD.fma(x, a3);
                x = FloatVector.broadcast(F, q[qb + d]);
                b0 = keysA.fma(x, b0);
                b1 = keysB.fma(x, b1);
                b2 = keysC.fma(x, b2);
                b3 = keysD.fma(x, b3);
                x = FloatVector.broadcast(F, q[qc + d]);
                c0 = keysA.fma(x, c0);
                c1 = keysB.fma(x, c1);
                c2 = keysC.fma(x, c2);
                c3 = keysD.fma(x, c3);
                x = FloatVector.broadcast(F, q[qd + d]);
                d0 = keysA.fma(x, d0);
                d1 = keysB.fma(x, d1);
                d2 = keysC.fma(x, d2);
                d3 = keysD.fma(x, d3);
            }
            int posA = blockA * blockSize + colA;
            int posB = blockB * blockSize + colB;
            int posC = blockC * blockSize + colC;
            int posD = blockD * blockSize + colD;
            a0.mul(scale).intoArray(s, sa + posA);
            a1.mul(scale).intoArray(s, sa + posB);
            a2.mul(scale).intoArray(s, sa + posC);
            a3.mul(scale).intoArray(s, sa + posD);
            b0.mul(scale).intoArray(s, sb + posA);
            b1.mul(scale).intoArray(s, sb + posB);
            b2.mul(scale).intoArray(s, sb + posC);
            b3.mul(scale).intoArray(s, sb + posD);
            c0.mul(scale).intoArray(s, sc + posA);
            c1.mul(scale).intoArray(s, sc + posB);
            c2.mul(scale).intoArray(s, sc + posC);
            c3.mul(scale).intoArray(s, sc + posD);
            d0.mul(scale).intoArray(s, sd + posA);
            d1.mul(scale).intoArray(s, sd + posB);
            d2.mul(scale).intoArray(s, sd + posC);
            d3.mul(scale).intoArray(s, sd + posD);
        }
    }

    /**
     * {@link #scores4} with two key vectors per step (8 accumulators), for species narrower than 16
     * lanes, whose machines may have only 16 vector registers; each score is computed the same way.
     */
    static void scores2(float[] q, int qa, int qb, int qc, int qd, float[] s, int sa, int sb, int sc, int sd,
            PagedKvCache cache, int layer, int kvHead, int[] blockTable, int k0, int k1, float scale) {
        MemorySegment kv = cache.memory();
        int headDim = cache.headDim();
        int blockSize = cache.blockSize();
        boolean half = cache.isHalf();
        int bytes = cache.elementBytes();
        long rowBytes = (long) cache.keyStride() * bytes;
        int perBlock = (blockSize + L - 1) / L;
        for (int k = k0; k < k1; k += 2) {
            int kNext = Math.min(k + 1, k1 - 1);
            int blockA = k / perBlock;
            int blockB = kNext / perBlock;
            int colA = (k - blockA * perBlock) * L;
            int colB = (kNext - blockB * perBlock) * L;
            long tileA = cache.keyTile(layer, blockTable[blockA], kvHead) + (long) colA * bytes;
            long tileB = cache.keyTile(layer, blockTable[blockB], kvHead) + (long) colB * bytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector c0 = a0;
            FloatVector c1 = a0;
            FloatVector d0 = a0;
            FloatVector d1 = a0;
            for (int d = 0; d < headDim; d++) {
                long row = d * rowBytes;
                FloatVector keysA = elements(kv, tileA + row, half);
                FloatVector keysB = elements(kv, tileB + row, half);
                FloatVector x = FloatVector.broadcast(F, q[qa + d]);
                a0 = keysA.fma(x, a0);
                a1 = keysB.fma(x, a1);
                x = FloatVector.broadcast(F, q[qb + d]);
                b0 = keysA.fma(x, b0);
                b1 = keysB.fma(x, b1);
                x = FloatVector.broadcast(F, q[qc + d]);
                c0 = keysA.fma(x, c0);
                c1 = keysB.fma(x, c1);
                x = FloatVector.broadcast(F, q[qd + d]);
                d0 = keysA.fma(x, d0);
                d1 = keysB.fma(x, d1);
            }
            int posA = blockA * blockSize + colA;
            int posB = blockB * blockSize + colB;
            a0.mul(scale).intoArray(s, sa + posA);
            a1.mul(scale).intoArray(s, sa + posB);
            b0.mul(scale).intoArray(s, sb + posA);
            b1.mul(scale).intoArray(s, sb + posB);
            c0.mul(scale).intoArray(s, sc + posA);
            c1.mul(scale).intoArray(s, sc + posB);
            d0.mul(scale).intoArray(s, sd + posA);
            d1.mul(scale).intoArray(s, sd + posB);
        }
    }

    /** {@code x[i] = exp(x[i] - max)} over {@code [offset, offset + n)}; returns their sum. */
    static float expRow(float[] x, int offset, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        FloatVector maxV = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += L) {
            maxV = maxV.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, offset + i));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        FloatVector sumV = FloatVector.zero(F);
        for (i = 0; i < bound; i += L) {
            FloatVector e = FloatVector.fromArray(F, x, offset + i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(x, offset + i);
            sumV = sumV.add(e);
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        return sum;
    }

    /**
     * {@code out[o + e] += sum_j p[pRow + j] * V[j][e]} for head elements {@code e} in the four slices
     * of {@code L} at {@code e0..e3} (a caller with fewer repeats one), for the four queries' score rows
     * {@code pa..pd} and outputs {@code oa..od}, over blocks {@code [b0, b1)}, keys below
     * {@code contextLen}. Each key's value row is read once for all sixteen accumulators.
     */
    static void values4(float[] p, int pa, int pb, int pc, int pd, float[] out, int oa, int ob, int oc, int od,
            int e0, int e1, int e2, int e3, PagedKvCache cache, int layer, int kvHead, int[] blockTable, int b0,
            int b1, int contextLen) {
        MemorySegment kv = cache.memory();
        int blockSize = cache.blockSize();
        boolean half = cache.isHalf();
        int bytes = cache.elementBytes();
        long rowBytes = (long) cache.headDim() * bytes;
        FloatVector a0 = FloatVector.fromArray(F, out, oa + e0);
        FloatVector a1 = FloatVector.fromArray(F, out, oa + e1);
        FloatVector a2 = FloatVector.fromArray(F, out, oa + e2);
        FloatVector a3 = FloatVector.fromArray(F, out, oa + e3);
        FloatVector b0v = FloatVector.fromArray(F, out, ob + e0);
        FloatVector b1v = FloatVector.fromArray(F, out, ob + e1);
        FloatVector b2v = FloatVector.fromArray(F, out, ob + e2);
        FloatVector b3v = FloatVector.fromArray(F, out, ob + e3);
        FloatVector c0 = FloatVector.fromArray(F, out, oc + e0);
        FloatVector c1 = FloatVector.fromArray(F, out, oc + e1);
        FloatVector c2 = FloatVector.fromArray(F, out, oc + e2);
        FloatVector c3 = FloatVector.fromArray(F, out, oc + e3);
        FloatVector d0 = FloatVector.fromArray(F, out, od + e0);
        FloatVector d1 = FloatVector.fromArray(F, out, od + e1);
        FloatVector d2 = FloatVector.fromArray(F, out, od + e2);
        FloatVector d3 = FloatVector.fromArray(F, out, od + e3);
        for (int b = b0; b < b1; b++) {
            int start = b * blockSize;
            int n = Math.min(blockSize, contextLen - start);
            long tile = cache.valueTile(layer, blockTable[b], kvHead);
            long col0 = tile + (long) e0 * bytes;
            long col1 = tile + (long) e1 * bytes;
            long col2 = tile + (long) e2 * bytes;
            long col3 = tile + (long) e3 * bytes;
            for (int o = 0; o < n; o++) {
                long row = o * rowBytes;
                FloatVector v0 = elements(kv, col0 + row, half);
                FloatVector v1 = elements(kv, col1 + row, half);
                FloatVector v2 = elements(kv, col2 + row, half);
                FloatVector v3 = elements(kv, col3 + row, half);
                FloatVector w = FloatVector.broadcast(F, p[pa + start + o]);
                a0 = v0.fma(w, a0);
                a1 = v1.fma(w, a1);
                a2 = v2.fma(w, a2);
                a3 = v3.fma(w, a3);
                w = FloatVector.broadcast(F, p[pb + start + o]);
                b0v = v0.fma(w, b0v);
                b1v = v1.fma(w, b1v);
                b2v = v2.fma(w, b2v);
                b3v = v3.fma(w, b3v);
                w = FloatVector.broadcast(F, p[pc + start + o]);
                c0 = v0.fma(w, c0);
                c1 = v1.fma(w, c1);
                c2 = v2.fma(w, c2);
                c3 = v3.fma(w, c3);
                w = FloatVector.broadcast(F, p[pd + start + o]);
                d0 = v0.fma(w, d0);
                d1 = v1.fma(w, d1);
                d2 = v2.fma(w, d2);
                d3 = v3.fma(w, d3);
            }
        }
        a0.intoArray(out, oa + e0);
        a1.intoArray(out, oa + e1);
        a2.intoArray(out, oa + e2);
        a3.intoArray(out, oa + e3);
        b0v.intoArray(out, ob + e0);
        b1v.intoArray(out, ob + e1);
        b2v.intoArray(out, ob + e2);
        b3v.intoArray(out, ob + e3);
        c0.intoArray(out, oc + e0);
        c1.intoArray(out, oc + e1);
        c2.intoArray(out, oc + e2);
        c3.intoArray(out, oc + e3);
        d0.intoArray(out, od + e0);
        d1.intoArray(out, od + e1);
        d2.intoArray(out, od + e2);
        d3.intoArray(out, od + e3);
    }

    /**
     * {@link #values4} over two slices at {@code e0} and {@code e1} (8 accumulators), for species
     * narrower than 16 lanes; each slice is computed the same way.
     */
    static void values2(float[] p, int pa, int pb, int pc, int pd, float[] out, int oa, int ob, int oc, int od,
            int e0, int e1, PagedKvCache cache, int layer, int kvHead, int[] blockTable, int b0, int b1,
            int contextLen) {
        MemorySegment kv = cache.memory();
        int blockSize = cache.blockSize();
        boolean half = cache.isHalf();
        int bytes = cache.elementBytes();
        long rowBytes = (long) cache.headDim() * bytes;
        FloatVector a0 = FloatVector.fromArray(F, out, oa + e0);
        FloatVector a1 = FloatVector.fromArray(F, out, oa + e1);
        FloatVector b0v = FloatVector.fromArray(F, out, ob + e0);
        FloatVector b1v = FloatVector.fromArray(F, out, ob + e1);
        FloatVector c0 = FloatVector.fromArray(F, out, oc + e0);
        FloatVector c1 = FloatVector.fromArray(F, out, oc + e1);
        FloatVector d0 = FloatVector.fromArray(F, out, od + e0);
        FloatVector d1 = FloatVector.fromArray(F, out, od + e1);
        for (int b = b0; b < b1; b++) {
            int start = b * blockSize;
            int n = Math.min(blockSize, contextLen - start);
            long tile = cache.valueTile(layer, blockTable[b], kvHead);
            long col0 = tile + (long) e0 * bytes;
            long col1 = tile + (long) e1 * bytes;
            for (int o = 0; o < n; o++) {
                long row = o * rowBytes;
                FloatVector v0 = elements(kv, col0 + row, half);
                FloatVector v1 = elements(kv, col1 + row, half);
                FloatVector w = FloatVector.broadcast(F, p[pa + start + o]);
                a0 = v0.fma(w, a0);
                a1 = v1.fma(w, a1);
                w = FloatVector.broadcast(F, p[pb + start + o]);
                b0v = v0.fma(w, b0v);
                b1v = v1.fma(w, b1v);
                w = FloatVector.broadcast(F, p[pc + start + o]);
                c0 = v0.fma(w, c0);
                c1 = v1.fma(w, c1);
                w = FloatVector.broadcast(F, p[pd + start + o]);
                d0 = v0.fma(w, d0);
                d1 = v1.fma(w, d1);
            }
        }
        a0.intoArray(out, oa + e0);
        a1.intoArray(out, oa + e1);
        b0v.intoArray(out, ob + e0);
        b1v.intoArray(out, ob + e1);
        c0.intoArray(out, oc + e0);
        c1.intoArray(out, oc + e1);
        d0.intoArray(out, od + e0);
        d1.intoArray(out, od + e1);
    }

    /**
     * {@code L} consecutive cache elements at byte offset {@code at} as floats: F32 loaded as they are,
     * F16 widened by bit arithmetic (the Vector API has no half-precision conversion). The half's
     * sign, exponent and mantissa land in a float's fields with the exponent unbiased by 112
     * ({@code (h << 13)} with the sign moved from bit 28 to bit 31), which is the half's value times
     * 2^-112 for normal and subnormal halves alike; one multiply by 2^112 makes it exact. The cache
     * never holds F16 infinities (it saturates when writing), so they need no case.
     */
    private static FloatVector elements(MemorySegment kv, long at, boolean half) {
        if (!half) {
            return FloatVector.fromMemorySegment(F, kv, at, ORDER);
        }
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, kv, at, ORDER)
                .convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF).reinterpretAsFloats().mul(0x1p112f);
    }
}
