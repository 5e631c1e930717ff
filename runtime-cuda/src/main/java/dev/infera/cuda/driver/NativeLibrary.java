package dev.infera.cuda.driver;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * A shared library opened by soname (through the system's dynamic loader, so {@code LD_LIBRARY_PATH}
 * and the loader cache apply) and its functions bound as downcall handles by symbol name. A missing
 * library is an empty {@link #open} result; a missing symbol is a {@link MissingSymbolException} naming
 * it, so a caller can report an old driver instead of failing later.
 */
final class NativeLibrary {

    private static final Linker LINKER = Linker.nativeLinker();

    private final String soname;
    private final SymbolLookup lookup;

    private NativeLibrary(String soname, SymbolLookup lookup) {
        this.soname = soname;
        this.lookup = lookup;
    }

    /** The first of the sonames the loader can open, kept loaded for the life of {@code arena}. */
    @SuppressWarnings("restricted") // loading native code is this class's purpose
    static Optional<NativeLibrary> open(Arena arena, String... sonames) {
        for (String name : sonames) {
            try {
                return Optional.of(new NativeLibrary(name, SymbolLookup.libraryLookup(name, arena)));
            } catch (IllegalArgumentException | UnsatisfiedLinkError notLoadable) {
                // try the next name
            }
        }
        return Optional.empty();
    }

    String soname() {
        return soname;
    }

    /** A downcall to the first of {@code symbols} the library exports (newest ABI version first). */
    @SuppressWarnings("restricted") // descriptors are written from the C declarations in cuda.h / cublas_api.h
    MethodHandle function(FunctionDescriptor descriptor, String... symbols) {
        for (String symbol : symbols) {
            Optional<MemorySegment> address = lookup.find(symbol);
            if (address.isPresent()) {
                return LINKER.downcallHandle(address.get(), descriptor);
            }
        }
        throw new MissingSymbolException(soname, String.join(" or ", symbols));
    }

    /** A function the library does not export (usually a driver or library older than supported). */
    static final class MissingSymbolException extends RuntimeException {
        MissingSymbolException(String soname, String symbol) {
            super(soname + " does not export " + symbol + " (too old?)");
        }
    }
}
