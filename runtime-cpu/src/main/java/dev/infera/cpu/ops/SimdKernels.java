package dev.infera.cpu.ops;

import java.io.IOException;
import java.io.InputStream;
import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API element-wise and attention kernels, for a species chosen at run time.
 *
 * <p>C2 compiles Vector API code to SIMD instructions only when the species is a constant it can
 * see; read from an instance field, every operation falls back to boxed Java code many times slower.
 * So the kernels are written once, in the template {@code VectorKernelTemplate}, whose
 * {@code static final} species comes from its class data, and this class defines one hidden copy of
 * the template per request: in each copy the species is a true constant. (The matrix kernels in
 * {@code dev.infera.cpu.kernels} use the same technique for the same reason.)
 */
public final class SimdKernels {

    private static final String TEMPLATE = "VectorKernelTemplate";

    private SimdKernels() {
    }

    /** Vector API {@link ElementwiseOps} of {@code species}. */
    public static ElementwiseOps elementwise(VectorSpecies<Float> species) {
        return (ElementwiseOps) instantiate(species);
    }

    /** Vector API {@link AttentionKernel} of {@code species} (pick one no longer than a head). */
    public static AttentionKernel attention(VectorSpecies<Float> species) {
        return (AttentionKernel) instantiate(species);
    }

    private static Object instantiate(VectorSpecies<Float> species) {
        if (species == null || species.length() < 2) {
            throw new IllegalArgumentException("a float species of at least 2 lanes is needed, got " + species);
        }
        byte[] bytes;
        try (InputStream in = SimdKernels.class.getResourceAsStream(TEMPLATE + ".class")) {
            if (in == null) {
                throw new IllegalStateException("kernel template " + TEMPLATE + ".class is missing from the class path");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read kernel template " + TEMPLATE, e);
        }
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup().defineHiddenClassWithClassData(bytes, species, true);
            return lookup.findConstructor(lookup.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot specialise " + TEMPLATE + " for " + species, e);
        }
    }

    /** The species of a template copy; called from the template's static initializer. */
    @SuppressWarnings("unchecked")
    static VectorSpecies<Float> speciesOf(MethodHandles.Lookup templateLookup) {
        try {
            VectorSpecies<Float> s = MethodHandles.classData(templateLookup, ConstantDescs.DEFAULT_NAME,
                    VectorSpecies.class);
            if (s == null) {
                throw new IllegalStateException(TEMPLATE + " must be used through SimdKernels, not directly");
            }
            return s;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
