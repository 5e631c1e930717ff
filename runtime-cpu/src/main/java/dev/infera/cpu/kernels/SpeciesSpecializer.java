package dev.infera.cpu.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Objects;
import jdk.incubator.vector.VectorSpecies;

/**
 * Makes a copy of a kernel class in which the vector species is a true constant.
 *
 * <p>The Vector API only compiles to SIMD instructions when the JIT can see the species as a
 * constant; read from an ordinary instance field it falls back to boxed Java code that runs about
 * fifty times slower. A {@code static final} species would be constant but fixed for the whole JVM,
 * while the backend must take its species as a constructor argument (and tests run several). So each
 * kernel class is written as a template whose {@code static final} species is read from the class
 * data of a hidden class: this class defines one hidden copy of the template per species, and in each
 * copy the species folds to a constant.
 *
 * <p>Template rules: a package-private top-level class in the package of the caller's lookup (a
 * hidden class is defined in its host's package: {@code dev.infera.cpu.kernels} and
 * {@code dev.infera.cpu.ops} both keep templates), used either through an interface it implements
 * (then it has a no-argument constructor) or through method handles to its static methods; no
 * lambdas, enum switches or nested classes (a hidden copy cannot be named by other classes).
 */
public final class SpeciesSpecializer {

    private SpeciesSpecializer() {
    }

    /**
     * A new instance of a hidden copy of {@code template} whose class data is {@code species};
     * {@code host} is a full-power lookup ({@code MethodHandles.lookup()}) in the template's package.
     */
    public static <T> T instantiate(MethodHandles.Lookup host, Class<T> api, String template,
            VectorSpecies<Float> species) {
        MethodHandles.Lookup lookup = define(host, template, species);
        try {
            Object instance = lookup.findConstructor(lookup.lookupClass(), MethodType.methodType(void.class)).invoke();
            return api.cast(instance);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot instantiate kernel template " + template + " for " + species, e);
        }
    }

    /**
     * Defines a hidden copy of {@code template} whose class data is {@code species}, in the package of
     * {@code host} (a full-power lookup there, {@code MethodHandles.lookup()}); returns the copy's
     * full-power lookup.
     */
    public static MethodHandles.Lookup define(MethodHandles.Lookup host, String template,
            VectorSpecies<Float> species) {
        Objects.requireNonNull(species, "species");
        byte[] bytes;
        try (InputStream in = host.lookupClass().getResourceAsStream(template + ".class")) {
            if (in == null) {
                throw new IllegalStateException("kernel template class " + template + " is missing from the classpath");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read kernel template class " + template, e);
        }
        try {
            return host.defineHiddenClassWithClassData(bytes, species, true);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot specialise kernel template " + template + " for " + species, e);
        }
    }

    /** The species a template copy was made for (call from the template's static initialiser). */
    @SuppressWarnings("unchecked")
    public static VectorSpecies<Float> speciesOf(MethodHandles.Lookup templateLookup) {
        try {
            VectorSpecies<Float> s = MethodHandles.classData(templateLookup, java.lang.constant.ConstantDescs.DEFAULT_NAME,
                    VectorSpecies.class);
            if (s == null) {
                throw new IllegalStateException(templateLookup.lookupClass().getName()
                        + " is a kernel template: use it through SpeciesSpecializer, not directly");
            }
            return s;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
