package dev.infera.core.gguf;

import dev.infera.api.ModelFormatException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A GGUF metadata array. Elements are kept in a primitive array that matches the element type, so
 * large vocabularies cost no boxing and the exact on-disk type survives a read-write round trip:
 * {@code byte[]} for UINT8, INT8 and BOOL (0 or 1), {@code short[]} for UINT16 and INT16,
 * {@code int[]} for UINT32 and INT32, {@code long[]} for UINT64 and INT64, {@code float[]} for FLOAT32,
 * {@code double[]} for FLOAT64, {@code String[]} for STRING and {@code GgufArray[]} for nested arrays.
 * Unsigned types keep their raw bits; read them with the unsigned helpers of {@link Integer} and friends.
 */
public record GgufArray(GgufValueType elementType, Object values) {

    public GgufArray {
        Objects.requireNonNull(elementType, "elementType");
        Objects.requireNonNull(values, "values");
        Class<?> expected = storageClass(elementType);
        if (values.getClass() != expected) {
            throw new IllegalArgumentException("GGUF array of " + elementType + " must be stored as "
                    + expected.getSimpleName() + ", got " + values.getClass().getSimpleName());
        }
    }

    static Class<?> storageClass(GgufValueType type) {
        return switch (type) {
            case UINT8, INT8, BOOL -> byte[].class;
            case UINT16, INT16 -> short[].class;
            case UINT32, INT32 -> int[].class;
            case UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case STRING -> String[].class;
            case ARRAY -> GgufArray[].class;
        };
    }

    public int length() {
        return java.lang.reflect.Array.getLength(values);
    }

    public static GgufArray ofStrings(List<String> strings) {
        return new GgufArray(GgufValueType.STRING, strings.toArray(String[]::new));
    }

    public static GgufArray ofInt32(int... values) {
        return new GgufArray(GgufValueType.INT32, values.clone());
    }

    public static GgufArray ofFloat32(float... values) {
        return new GgufArray(GgufValueType.FLOAT32, values.clone());
    }

    /** The elements as strings; fails with a message when the array holds something else. */
    public String[] strings() {
        if (values instanceof String[] s) {
            return s;
        }
        throw new ModelFormatException("GGUF array holds " + elementType + ", not STRING");
    }

    /** Integer elements widened to long (unsigned types read as unsigned). */
    public long[] toLongs() {
        return switch (values) {
            case byte[] b -> {
                long[] r = new long[b.length];
                for (int i = 0; i < b.length; i++) {
                    r[i] = elementType == GgufValueType.INT8 ? b[i] : Byte.toUnsignedLong(b[i]);
                }
                yield r;
            }
            case short[] s -> {
                long[] r = new long[s.length];
                for (int i = 0; i < s.length; i++) {
                    r[i] = elementType == GgufValueType.INT16 ? s[i] : Short.toUnsignedLong(s[i]);
                }
                yield r;
            }
            case int[] a -> {
                long[] r = new long[a.length];
                for (int i = 0; i < a.length; i++) {
                    r[i] = elementType == GgufValueType.INT32 ? a[i] : Integer.toUnsignedLong(a[i]);
                }
                yield r;
            }
            case long[] l -> l.clone();
            default -> throw new ModelFormatException("GGUF array holds " + elementType + ", not integers");
        };
    }

    /** Integer elements narrowed to int; fails when a value does not fit. */
    public int[] toInts() {
        if (values instanceof int[] a && elementType == GgufValueType.INT32) {
            return a;
        }
        long[] l = toLongs();
        int[] r = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            if (l[i] != (int) l[i]) {
                throw new ModelFormatException("GGUF array element " + i + " = " + l[i] + " does not fit an int");
            }
            r[i] = (int) l[i];
        }
        return r;
    }

    /** Numeric elements as floats. */
    public float[] toFloats() {
        return switch (values) {
            case float[] f -> f;
            case double[] d -> {
                float[] r = new float[d.length];
                for (int i = 0; i < d.length; i++) {
                    r[i] = (float) d[i];
                }
                yield r;
            }
            default -> {
                long[] l = toLongs();
                float[] r = new float[l.length];
                for (int i = 0; i < l.length; i++) {
                    r[i] = l[i];
                }
                yield r;
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray other && elementType == other.elementType
                && Arrays.deepEquals(new Object[] {values}, new Object[] {other.values});
    }

    @Override
    public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {values});
    }

    @Override
    public String toString() {
        return "GgufArray[" + elementType + " x " + length() + "]";
    }
}
