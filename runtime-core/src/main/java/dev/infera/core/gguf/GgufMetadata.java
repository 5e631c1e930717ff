package dev.infera.core.gguf;

import dev.infera.api.ModelFormatException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key-value metadata of a GGUF file, in file order. Typed getters fail with a
 * {@link ModelFormatException} that names the key when it is missing or holds the wrong type, so a
 * loader can call them directly on untrusted files.
 */
public final class GgufMetadata {

    private final Map<String, GgufValue> values;

    public GgufMetadata(Map<String, GgufValue> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Keys in file order. */
    public Set<String> keys() {
        return values.keySet();
    }

    public Map<String, GgufValue> asMap() {
        return values;
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public Optional<GgufValue> find(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public GgufValue get(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            throw new ModelFormatException("GGUF metadata key '" + key + "' is missing");
        }
        return v;
    }

    public String getString(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.STRING) {
            throw wrongType(key, v, "a string");
        }
        return (String) v.value();
    }

    public Optional<String> findString(String key) {
        return contains(key) ? Optional.of(getString(key)) : Optional.empty();
    }

    public long getLong(String key) {
        GgufValue v = get(key);
        if (!v.type().isInteger()) {
            throw wrongType(key, v, "an integer");
        }
        return v.asLong();
    }

    public int getInt(String key) {
        long l = getLong(key);
        if (l != (int) l) {
            throw new ModelFormatException("GGUF metadata key '" + key + "' = " + l + " does not fit an int");
        }
        return (int) l;
    }

    public int getInt(String key, int defaultValue) {
        return contains(key) ? getInt(key) : defaultValue;
    }

    public float getFloat(String key) {
        GgufValue v = get(key);
        if (v.type() == GgufValueType.STRING || v.type() == GgufValueType.ARRAY || v.type() == GgufValueType.BOOL) {
            throw wrongType(key, v, "a number");
        }
        return (float) v.asDouble();
    }

    public float getFloat(String key, float defaultValue) {
        return contains(key) ? getFloat(key) : defaultValue;
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        if (!contains(key)) {
            return defaultValue;
        }
        GgufValue v = get(key);
        if (v.type() != GgufValueType.BOOL) {
            throw wrongType(key, v, "a bool");
        }
        return (Boolean) v.value();
    }

    public GgufArray getArray(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.ARRAY) {
            throw wrongType(key, v, "an array");
        }
        return (GgufArray) v.value();
    }

    public String[] getStringArray(String key) {
        GgufArray a = getArray(key);
        if (a.elementType() != GgufValueType.STRING) {
            throw new ModelFormatException("GGUF metadata key '" + key + "' is an array of " + a.elementType()
                    + ", expected an array of strings");
        }
        return a.strings();
    }

    /** An array of integers narrowed to int; fails, naming the key, on other elements or values that do not fit. */
    public int[] getIntArray(String key) {
        try {
            return getArray(key).toInts();
        } catch (ModelFormatException e) {
            throw new ModelFormatException("GGUF metadata key '" + key + "' must be an array of integers: " + e.getMessage(), e);
        }
    }

    /** An array of numbers as floats; fails, naming the key, on other elements. */
    public float[] getFloatArray(String key) {
        try {
            return getArray(key).toFloats();
        } catch (ModelFormatException e) {
            throw new ModelFormatException("GGUF metadata key '" + key + "' must be an array of numbers: " + e.getMessage(), e);
        }
    }

    private static ModelFormatException wrongType(String key, GgufValue v, String expected) {
        return new ModelFormatException("GGUF metadata key '" + key + "' has type " + v.type() + ", expected " + expected);
    }
}
