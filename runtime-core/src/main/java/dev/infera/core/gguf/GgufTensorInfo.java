package dev.infera.core.gguf;

import java.util.Arrays;

/**
 * One tensor entry of a GGUF file. {@code shape} lists dimensions GGML-style, fastest-varying first:
 * a weight matrix with {@code rows} output features of {@code cols} inputs has shape {@code [cols, rows]}.
 * {@code offset} is relative to the start of the file's data section.
 */
public record GgufTensorInfo(String name, GgmlType type, long[] shape, long offset, long byteSize) {

    public GgufTensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int numDims() {
        return shape.length;
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

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && type == t.type
                && Arrays.equals(shape, t.shape) && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape) + " @" + offset + " (" + byteSize + " B)";
    }
}
