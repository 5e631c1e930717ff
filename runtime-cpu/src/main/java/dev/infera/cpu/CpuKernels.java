package dev.infera.cpu;

import dev.infera.cpu.kernels.MatMul;
import dev.infera.cpu.kernels.ScalarMatMul;
import dev.infera.cpu.kernels.SimdMatMul;
import dev.infera.cpu.kernels.WorkerPool;
import dev.infera.cpu.ops.AttentionKernel;
import dev.infera.cpu.ops.ElementwiseOps;
import dev.infera.cpu.ops.PagedKvCache;
import dev.infera.cpu.ops.ScalarAttention;
import dev.infera.cpu.ops.ScalarElementwiseOps;
import dev.infera.cpu.ops.SimdKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels one forward pass runs with. {@link #scalarReference()} is the all-scalar set that the
 * fast path is checked against end to end; the backend provider builds the Vector API set.
 */
public record CpuKernels(MatMul matMul, ElementwiseOps ops, AttentionKernel attention) {

    public CpuKernels {
        if (matMul == null || ops == null || attention == null) {
            throw new IllegalArgumentException("every kernel must be given");
        }
    }

    /** The fast set: {@link SimdMatMul} on the backend's pool and Vector API kernels, preferred species. */
    public static CpuKernels simd(WorkerPool pool, int headDim) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
        return vectorized(new SimdMatMul(pool, species), species, headDim);
    }

    /**
     * Vector API element-wise and attention kernels around the given matrix product. Attention uses the
     * widest species no longer than a head, so short heads still run in full vectors.
     */
    public static CpuKernels vectorized(MatMul matMul, VectorSpecies<Float> species, int headDim) {
        return new CpuKernels(matMul, SimdKernels.elementwise(species),
                SimdKernels.attention(attentionSpecies(species, headDim)));
    }

    static VectorSpecies<Float> attentionSpecies(VectorSpecies<Float> preferred, int headDim) {
        VectorSpecies<Float> s = preferred;
        while ((s.length() > headDim || s.length() > PagedKvCache.KEY_LANES)
                && s.vectorBitSize() > FloatVector.SPECIES_64.vectorBitSize()) {
            s = VectorSpecies.of(float.class, VectorShape.forBitSize(s.vectorBitSize() / 2));
        }
        return s;
    }

    /** Plain-loop kernels: slow, simple, the reference for tests. */
    public static CpuKernels scalarReference() {
        return new CpuKernels(new ScalarMatMul(), new ScalarElementwiseOps(), new ScalarAttention());
    }
}
