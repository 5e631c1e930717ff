package dev.infera.cuda.driver;

import java.lang.foreign.Arena;
import java.util.Optional;

/**
 * Opens the CUDA driver and cuBLAS at most once per process (like the dynamic loader itself, which
 * keeps a library loaded once opened) and remembers why one could not be opened. Nothing is loaded
 * until the first call, so merely finding the CUDA backend on the class path never touches native code.
 */
public final class CudaLibraries {

    private CudaLibraries() {
    }

    /** The library, or the one-line reason it cannot be used. */
    public record Loaded<T>(T library, String problem) {

        public boolean isPresent() {
            return library != null;
        }

        /** The library; a {@link CudaException} with the reason when it is missing. */
        public T require() {
            if (library == null) {
                throw new CudaException(problem);
            }
            return library;
        }
    }

    private static final class DriverHolder {
        static final Loaded<CudaDriver> DRIVER = loadDriver();
    }

    private static final class CublasHolder {
        static final Loaded<Cublas> CUBLAS = loadCublas();
    }

    /** The CUDA driver API; the problem is "libcuda.so.1 not found" when there is no driver. */
    public static Loaded<CudaDriver> driver() {
        return DriverHolder.DRIVER;
    }

    /** cuBLAS 13 or 12; the problem is "cuBLAS not found (libcublas.so.13/.12)" when neither loads. */
    public static Loaded<Cublas> cublas() {
        return CublasHolder.CUBLAS;
    }

    private static Loaded<CudaDriver> loadDriver() {
        Optional<NativeLibrary> lib = NativeLibrary.open(Arena.global(), CudaDriver.SONAME);
        if (lib.isEmpty()) {
            return new Loaded<>(null, CudaDriver.SONAME + " not found");
        }
        try {
            return new Loaded<>(new CudaDriver(lib.get()), null);
        } catch (NativeLibrary.MissingSymbolException e) {
            return new Loaded<>(null, e.getMessage());
        }
    }

    private static Loaded<Cublas> loadCublas() {
        Optional<NativeLibrary> lib = NativeLibrary.open(Arena.global(), Cublas.SONAMES);
        if (lib.isEmpty()) {
            return new Loaded<>(null, "cuBLAS not found (libcublas.so.13/.12)");
        }
        try {
            return new Loaded<>(new Cublas(lib.get(), Arena.global()), null);
        } catch (NativeLibrary.MissingSymbolException e) {
            return new Loaded<>(null, e.getMessage());
        }
    }
}
