package dev.infera.cpu.ops;

import dev.infera.cpu.kernels.SpeciesSpecializer;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API element-wise and attention kernels, for a species chosen at run time.
 *
 * <p>C2 compiles Vector API code to SIMD instructions only when the species is a constant it can
 * see; read from an instance field, every operation falls back to boxed Java code many times slower.
 * So the kernels are written once, in templates ({@code VectorKernelTemplate}, and
 * {@code AttentionTemplate} behind {@link SimdAttention}) whose {@code static final} species comes from
 * their class data, and {@link SpeciesSpecializer} (shared with the matrix kernels) defines one hidden
 * copy of a template per request in this package: in each copy the species is a true constant.
 */
public final class SimdKernels {

    private static final String TEMPLATE = "VectorKernelTemplate";

    private SimdKernels() {
    }

    /** Vector API {@link ElementwiseOps} of {@code species}. */
    public static ElementwiseOps elementwise(VectorSpecies<Float> species) {
        return instantiate(ElementwiseOps.class, species);
    }

    /** Vector API {@link AttentionKernel} of {@code species} (pick one no longer than a head). */
    public static AttentionKernel attention(VectorSpecies<Float> species) {
        if (species == null || species.length() < 2 || species.length() > PagedKvCache.KEY_LANES) {
            throw new IllegalArgumentException("attention needs a float species of 2 to " + PagedKvCache.KEY_LANES
                    + " lanes, got " + species);
        }
        return new SimdAttention(species);
    }

    private static <T> T instantiate(Class<T> api, VectorSpecies<Float> species) {
        if (species == null || species.length() < 2) {
            throw new IllegalArgumentException("a float species of at least 2 lanes is needed, got " + species);
        }
        return SpeciesSpecializer.instantiate(MethodHandles.lookup(), api, TEMPLATE, species);
    }
}
