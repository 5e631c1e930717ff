package dev.infera.core.model;

import dev.infera.core.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A named tensor of a model: element type, GGML-order shape (fastest-varying dimension first, so a
 * weight matrix of {@code rows} output features over {@code cols} inputs has shape
 * {@code [cols, rows]}) and its bytes, usually a zero-copy slice of a memory-mapped file.
 */
public record ModelTensor(String name, GgmlType type, long[] shape, MemorySegment data) {

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public ModelTensor {
        if (name == null || type == null || shape == null || data == null) {
            throw new IllegalArgumentException("tensor name, type, shape and data must not be null");
        }
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code i} (fastest first); 1 beyond the tensor's rank. */
    public long dim(int i) {
        return i < shape.length ? shape[i] : 1;
    }

    public long numElements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Whether the shape is {@code [d0, d1]}, allowing trailing dimensions of size 1. */
    public boolean hasShape(long... expected) {
        int rank = Math.max(shape.length, expected.length);
        for (int i = 0; i < rank; i++) {
            long want = i < expected.length ? expected[i] : 1;
            if (dim(i) != want) {
                return false;
            }
        }
        return true;
    }

    /** The elements of an F32 tensor, copied to the heap (for small vectors such as norm weights). */
    public float[] toFloatArray() {
        if (type != GgmlType.F32) {
            throw new IllegalStateException("tensor '" + name + "' is " + type + ", not F32");
        }
        return data.asSlice(0, numElements() * Float.BYTES).toArray(F32_LE);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelTensor t && name.equals(t.name) && type == t.type
                && Arrays.equals(shape, t.shape) && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
