package dev.infera.cuda.plan;

/**
 * One kernel argument of a planned launch, symbolic until the executor resolves it: a pointer into a
 * scratch buffer or a weight, or a scalar. Scalars keep the C type of the parameter they fill.
 */
public sealed interface Arg {

    /** {@code buffer + byteOffset}. */
    record Ptr(Buffer buffer, long byteOffset) implements Arg {
    }

    /** A weight tensor (layer -1 for model-level kinds); {@code scales} selects a quantized matrix's scales. */
    record Weight(int layer, WeightKind kind, boolean scales) implements Arg {
    }

    /** {@code int} (or {@code unsigned int}). */
    record I32(int value) implements Arg {
    }

    /** {@code long} (64-bit). */
    record I64(long value) implements Arg {
    }

    /** {@code float}. */
    record F32(float value) implements Arg {
    }

    /** A null pointer. */
    record Null() implements Arg {
    }

    static Ptr ptr(Buffer b) {
        return new Ptr(b, 0);
    }

    static Ptr ptr(Buffer b, long byteOffset) {
        return new Ptr(b, byteOffset);
    }

    static I32 i32(int v) {
        return new I32(v);
    }

    static I64 i64(long v) {
        return new I64(v);
    }
}
