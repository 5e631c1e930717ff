package dev.infera.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The native memory the CPU backend keeps its weight matrices in: one region, freed by
 * {@link #close()}.
 *
 * <p>Why the backend copies weights out of the memory-mapped file instead of reading them in place:
 * (1) the kernels then see one kind of segment. Reading mapped and allocated segments through the
 * same Vector API call sites made those sites polymorphic, and decoding got slower (measured when
 * only the joined Q/K/V and gate/up copies were native: below the all-mapped speed); (2) on Linux the
 * region is asked for transparent huge pages ({@code madvise(MADV_HUGEPAGE)} before it is first
 * touched), so streaming the weights once per token crosses a 2 MiB page, not a 4 KiB one, every
 * few microseconds: fewer TLB misses, and the hardware prefetchers, which stop at page boundaries,
 * run on. The cost is one copy at load (memory bandwidth speed) and the file's pages, which stay
 * in the page cache as clean, reclaimable pages.
 *
 * <p>Where {@code mmap}/{@code madvise} cannot be reached (not Linux, or native access refused),
 * the region is an ordinary arena allocation; {@link #hugePages()} says which one it got.
 */
final class WeightMemory implements AutoCloseable {

    private static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment region;
    private final boolean hugePages;
    private long used;

    /** A region of at least {@code bytes} bytes; pieces are handed out by {@link #take}. */
    WeightMemory(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
        }
        long size = Math.max(HUGE_PAGE, (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE);
        boolean[] advised = new boolean[1];
        MemorySegment mapped = LinuxCalls.INSTANCE.flatMap(calls -> calls.mapHuge(size, arena, advised)).orElse(null);
        this.hugePages = advised[0];
        this.region = mapped != null ? mapped : arena.allocate(size, 64);
    }

    /** Whether the region was mapped with a transparent-huge-page hint the kernel accepted. */
    boolean hugePages() {
        return hugePages;
    }

    /** The next {@code bytes} bytes of the region, 64-byte aligned. */
    MemorySegment take(long bytes) {
        long at = (used + 63) & ~63L;
        if (at + bytes > region.byteSize()) {
            throw new IllegalStateException("weight memory of " + region.byteSize() + " bytes is full: " + at
                    + " used, " + bytes + " more asked");
        }
        used = at + bytes;
        return region.asSlice(at, bytes);
    }

    /** The piece of the region from the start of {@code first} to the end of {@code last} (both from {@link #take}). */
    MemorySegment span(MemorySegment first, MemorySegment last) {
        long start = first.address() - region.address();
        long end = last.address() + last.byteSize() - region.address();
        if (start < 0 || end > used || end < start) {
            throw new IllegalArgumentException("pieces are not from this weight memory");
        }
        return region.asSlice(start, end - start);
    }

    /** Bytes {@link #take} may hand out for pieces of the given sizes, alignment included. */
    static long bytesFor(long... pieceBytes) {
        long total = 0;
        for (long b : pieceBytes) {
            total = ((total + 63) & ~63L) + b;
        }
        return total;
    }

    @Override
    public void close() {
        arena.close();
    }

    /** {@code mmap}, {@code madvise} and {@code munmap} from the C library, when they can be bound. */
    private record LinuxCalls(MethodHandle mmap, MethodHandle madvise, MethodHandle munmap) {

        static final Optional<LinuxCalls> INSTANCE = bind();

        private static Optional<LinuxCalls> bind() {
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                return Optional.empty();
            }
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                MethodHandle mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_LONG));
                MethodHandle madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT));
                MethodHandle munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                return Optional.of(new LinuxCalls(mmap, madvise, munmap));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }

        /**
         * Anonymous private memory of {@code size} bytes, 2 MiB aligned, unmapped when the arena closes;
         * {@code advised[0]} tells whether the huge-page hint was taken.
         */
        Optional<MemorySegment> mapHuge(long size, Arena arena, boolean[] advised) {
            try {
                MemorySegment address = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, size + HUGE_PAGE,
                        PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
                if (address.address() == -1L || address.address() == 0L) {
                    return Optional.empty();
                }
                long base = address.address();
                long aligned = (base + HUGE_PAGE - 1) & -HUGE_PAGE;
                MemorySegment whole = address.reinterpret(size + HUGE_PAGE);
                MemorySegment region = MemorySegment.ofAddress(aligned).reinterpret(size, arena,
                        unused -> unmap(whole));
                advised[0] = (int) madvise.invokeExact(region, size, MADV_HUGEPAGE) == 0;
                return Optional.of(region);
            } catch (Throwable e) {
                return Optional.empty();
            }
        }

        private void unmap(MemorySegment whole) {
            try {
                int ignored = (int) munmap.invokeExact(whole, whole.byteSize());
            } catch (Throwable e) {
                throw new IllegalStateException("munmap of weight memory failed", e);
            }
        }
    }
}
