package dev.infera.cpu.kernels;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-type SIMD row kernels of one species: batch-1 dot products ({@code FloatDotKernels},
 * {@code QuantDotKernels}, {@code KQuantDotKernels}), small-batch products ({@link #dotBatch}: the
 * {@code SmallBatch*Kernels}, 16-lane species only) and row decoding ({@code QuantDecodeKernels}),
 * all hidden-class copies of templates (see {@link SpeciesSpecializer}), reached through one method
 * handle per type (and batch size).
 *
 * <p>Why handles rather than a switch: a dispatcher that calls every type's walker gets them inlined
 * into one compiled method as soon as a model uses two or three weight types (Q4_K with Q6_K, say);
 * that method then overruns C2's node budget, the vector helpers stop being inlined and every vector
 * is boxed (measured: 200 MB allocated and a 3x slowdown). Calling a handle that is not a JIT
 * constant is an inlining barrier, so each type's row loop compiles on its own; the few nanoseconds
 * a call costs are paid once per run of rows, not per row.
 */
final class RowKernels {

    static final int KIND_F32 = 0;
    static final int KIND_F16 = 1;
    static final int KIND_BF16 = 2;
    static final int KIND_Q8_0 = 3;
    static final int KIND_Q4_0 = 4;
    static final int KIND_Q4_1 = 5;
    static final int KIND_Q5_0 = 6;
    static final int KIND_Q5_1 = 7;
    static final int KIND_Q4_K = 8;
    static final int KIND_Q5_K = 9;
    static final int KIND_Q6_K = 10;
    private static final String[] ENTRY_NAMES = {
        "f32Rows", "f16Rows", "bf16Rows", "q8_0Rows", "q4_0Rows", "q4_1Rows", "q5_0Rows", "q5_1Rows",
        "q4_KRows", "q5_KRows", "q6_KRows"};

    private static final MethodType DOT_TYPE = MethodType.methodType(void.class, MemorySegment.class, long.class,
            int.class, int.class, int.class, MemorySegment.class, float[].class, int.class);
    private static final MethodType DECODE_TYPE = MethodType.methodType(void.class, MemorySegment.class, long.class,
            int.class, int.class, int.class, MemorySegment.class, int.class);

    private static final MethodType BATCH_TYPE = MethodType.methodType(void.class, MemorySegment.class, long.class,
            int.class, int.class, int.class, MemorySegment.class, long.class, float[].class, int.class, int.class);
    /** Batches up to this many rows can have a small-batch kernel (decode once, all rows per block). */
    static final int MAX_SMALL_BATCH = 5;

    private final MethodHandle[] dots = new MethodHandle[ENTRY_NAMES.length];
    /** {@code smallBatch[kind][batch]}: the kernel for that many activation rows, or null (row passes instead). */
    private final MethodHandle[][] smallBatch = new MethodHandle[ENTRY_NAMES.length][MAX_SMALL_BATCH + 1];
    private final MethodHandle[] decoders = new MethodHandle[ENTRY_NAMES.length];

    RowKernels(VectorSpecies<Float> species) {
        MethodHandles.Lookup floatDot = SpeciesSpecializer.define(MethodHandles.lookup(), "FloatDotKernels", species);
        MethodHandles.Lookup quantDot = SpeciesSpecializer.define(MethodHandles.lookup(), "QuantDotKernels", species);
        MethodHandles.Lookup kQuantDot = SpeciesSpecializer.define(MethodHandles.lookup(), "KQuantDotKernels", species);
        MethodHandles.Lookup decode = SpeciesSpecializer.define(MethodHandles.lookup(), "QuantDecodeKernels", species);
        try {
            for (int kind = 0; kind < ENTRY_NAMES.length; kind++) {
                MethodHandles.Lookup dot = kind <= KIND_BF16 ? floatDot : kind >= KIND_Q4_K ? kQuantDot : quantDot;
                dots[kind] = dot.findStatic(dot.lookupClass(), ENTRY_NAMES[kind], DOT_TYPE);
                decoders[kind] = decode.findStatic(decode.lookupClass(), ENTRY_NAMES[kind], DECODE_TYPE);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("kernel template is missing an entry point", e);
        }
        if (species.length() == 16) {
            defineSmallBatch(species);
        }
    }

    /** The small-batch templates are written for 16 lanes (one widened byte group per vector). */
    private void defineSmallBatch(VectorSpecies<Float> species) {
        MethodHandles.Lookup quant = SpeciesSpecializer.define(MethodHandles.lookup(), "SmallBatchKernels", species);
        MethodHandles.Lookup nibble = SpeciesSpecializer.define(MethodHandles.lookup(), "SmallBatchNibbleKernels", species);
        MethodHandles.Lookup fiveBit = SpeciesSpecializer.define(MethodHandles.lookup(), "SmallBatchFiveBitKernels", species);
        MethodHandles.Lookup floats = SpeciesSpecializer.define(MethodHandles.lookup(), "SmallBatchFloatKernels", species);
        MethodHandles.Lookup k45 = SpeciesSpecializer.define(MethodHandles.lookup(), "SmallBatchK45Kernels", species);
        MethodHandles.Lookup k6 = SpeciesSpecializer.define(MethodHandles.lookup(), "SmallBatchK6Kernels", species);
        try {
            for (int batch = 2; batch <= MAX_SMALL_BATCH; batch++) {
                smallBatch[KIND_Q8_0][batch] = quant.findStatic(quant.lookupClass(), "q8_0x" + batch, BATCH_TYPE);
                smallBatch[KIND_Q4_0][batch] = nibble.findStatic(nibble.lookupClass(), "q4_0x" + batch, BATCH_TYPE);
                smallBatch[KIND_Q4_1][batch] = nibble.findStatic(nibble.lookupClass(), "q4_1x" + batch, BATCH_TYPE);
                smallBatch[KIND_Q5_0][batch] = fiveBit.findStatic(fiveBit.lookupClass(), "q5_0x" + batch, BATCH_TYPE);
                smallBatch[KIND_Q5_1][batch] = fiveBit.findStatic(fiveBit.lookupClass(), "q5_1x" + batch, BATCH_TYPE);
                smallBatch[KIND_Q4_K][batch] = k45.findStatic(k45.lookupClass(), "q4_Kx" + batch, BATCH_TYPE);
                smallBatch[KIND_Q5_K][batch] = k45.findStatic(k45.lookupClass(), "q5_Kx" + batch, BATCH_TYPE);
                smallBatch[KIND_Q6_K][batch] = k6.findStatic(k6.lookupClass(), "q6_Kx" + batch, BATCH_TYPE);
                smallBatch[KIND_F16][batch] = floats.findStatic(floats.lookupClass(), "f16x" + batch, BATCH_TYPE);
                smallBatch[KIND_BF16][batch] = floats.findStatic(floats.lookupClass(), "bf16x" + batch, BATCH_TYPE);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("kernel template is missing an entry point", e);
        }
    }

    /** The kind code of a type the SIMD kernels decode, or -1 when they do not. */
    static int kindOf(GgmlType type) {
        return switch (type) {
            case F32 -> KIND_F32;
            case F16 -> KIND_F16;
            case BF16 -> KIND_BF16;
            case Q8_0 -> KIND_Q8_0;
            case Q4_0 -> KIND_Q4_0;
            case Q4_1 -> KIND_Q4_1;
            case Q5_0 -> KIND_Q5_0;
            case Q5_1 -> KIND_Q5_1;
            case Q4_K -> KIND_Q4_K;
            case Q5_K -> KIND_Q5_K;
            case Q6_K -> KIND_Q6_K;
            default -> -1;
        };
    }

    /**
     * Batch 1: {@code y[yOffset + r - firstRow] = dot(row r, x)} for rows in {@code [firstRow, endRow)},
     * {@code x} holding {@code cols} floats, 64-byte aligned.
     */
    void dotRows(int kind, MemorySegment w, long rowBytes, int cols, int firstRow, int endRow,
            MemorySegment x, float[] y, int yOffset) {
        try {
            dots[kind].invokeExact(w, rowBytes, cols, firstRow, endRow, x, y, yOffset);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@link #dotBatch} has a kernel for this type and batch. */
    boolean hasSmallBatch(int kind, int batch) {
        return kind >= 0 && batch <= MAX_SMALL_BATCH && smallBatch[kind][batch] != null;
    }

    /**
     * Small batches ({@link #hasSmallBatch}): {@code y[yOffset + b * yStride + r - firstRow] = dot(row r,
     * x row b)} for {@code b < batch}, activation row b at byte {@code b * xStrideBytes} of {@code x}
     * (64-byte aligned, {@code cols} floats each); each output is bit for bit its batch-1 result.
     */
    void dotBatch(int kind, int batch, MemorySegment w, long rowBytes, int cols, int firstRow, int endRow,
            MemorySegment x, long xStrideBytes, float[] y, int yOffset, int yStride) {
        try {
            smallBatch[kind][batch].invokeExact(w, rowBytes, cols, firstRow, endRow, x, xStrideBytes, y, yOffset, yStride);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Decodes rows {@code [firstRow, firstRow + numRows)} into {@code dst}: row i starts at float
     * {@code i * ld} ({@code ld >= cols}); floats {@code cols..ld} of each row are set to 0.
     */
    void decodeRows(int kind, MemorySegment w, long rowBytes, int cols, int firstRow, int numRows,
            MemorySegment dst, int ld) {
        try {
            decoders[kind].invokeExact(w, rowBytes, cols, firstRow, numRows, dst, ld);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
