package dev.infera.core.gguf;

/** Writes the payload of a GGUF metadata value (the part after its type id) with its exact on-disk type. */
final class GgufValueWriter {

    private GgufValueWriter() {
    }

    /**
     * Checks what the reader would reject, so the writer fails when a value is added rather than halfway
     * through the header: BOOL array elements other than 0 or 1, null elements, nesting deeper than the
     * reader allows.
     */
    static void validate(String key, GgufValue v) {
        if (v.value() instanceof GgufArray a) {
            validateArray(key, a, 0);
        }
    }

    private static void validateArray(String context, GgufArray a, int depth) {
        if (depth >= GgufFile.MAX_ARRAY_NESTING) {
            throw new IllegalArgumentException("metadata key '" + context + "' nests arrays deeper than "
                    + GgufFile.MAX_ARRAY_NESTING);
        }
        switch (a.values()) {
            case byte[] b when a.elementType() == GgufValueType.BOOL -> {
                for (int i = 0; i < b.length; i++) {
                    if (b[i] != 0 && b[i] != 1) {
                        throw new IllegalArgumentException("metadata key '" + context + "' BOOL element " + i
                                + " is " + b[i] + " (must be 0 or 1)");
                    }
                }
            }
            case String[] strings -> {
                for (int i = 0; i < strings.length; i++) {
                    if (strings[i] == null) {
                        throw new IllegalArgumentException("metadata key '" + context + "' element " + i + " is null");
                    }
                }
            }
            case GgufArray[] nested -> {
                for (int i = 0; i < nested.length; i++) {
                    if (nested[i] == null) {
                        throw new IllegalArgumentException("metadata key '" + context + "' element " + i + " is null");
                    }
                    validateArray(context, nested[i], depth + 1);
                }
            }
            default -> {
            }
        }
    }

    static void write(GgufOutput out, GgufValue v) {
        switch (v.type()) {
            case UINT8, INT8 -> out.u8((Byte) v.value());
            case UINT16, INT16 -> out.u16((Short) v.value());
            case UINT32, INT32 -> out.u32((Integer) v.value());
            case UINT64, INT64 -> out.u64((Long) v.value());
            case FLOAT32 -> out.f32((Float) v.value());
            case FLOAT64 -> out.f64((Double) v.value());
            case BOOL -> out.u8((byte) ((Boolean) v.value() ? 1 : 0));
            case STRING -> out.string((String) v.value());
            case ARRAY -> writeArray(out, (GgufArray) v.value());
        }
    }

    /** An array: element type id, u64 count, then the elements (nested arrays recurse without a type tag each). */
    private static void writeArray(GgufOutput out, GgufArray a) {
        out.u32(a.elementType().id());
        out.u64(a.length());
        switch (a.values()) {
            case byte[] b -> out.bytes(b, 0, b.length);
            case short[] s -> {
                for (short x : s) {
                    out.u16(x);
                }
            }
            case int[] ints -> {
                for (int x : ints) {
                    out.u32(x);
                }
            }
            case long[] l -> {
                for (long x : l) {
                    out.u64(x);
                }
            }
            case float[] f -> {
                for (float x : f) {
                    out.f32(x);
                }
            }
            case double[] d -> {
                for (double x : d) {
                    out.f64(x);
                }
            }
            case String[] strings -> {
                for (String s : strings) {
                    out.string(s);
                }
            }
            case GgufArray[] nested -> {
                for (GgufArray n : nested) {
                    writeArray(out, n);
                }
            }
            default -> throw new IllegalStateException("unexpected GGUF array storage " + a.values().getClass());
        }
    }
}
