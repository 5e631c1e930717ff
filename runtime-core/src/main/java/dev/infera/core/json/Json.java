package dev.infera.core.json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON reader and writer.
 *
 * <p>Parsing gives plain Java values: {@code Map<String, Object>} (a {@code LinkedHashMap} in document
 * order), {@code List<Object>}, {@code String}, {@code Long} (or {@code BigInteger} for integers beyond
 * a long), {@code Double} for numbers with a fraction or exponent, {@code Boolean}, and {@code null}
 * for JSON null (use {@code containsKey} to tell a null member from a missing one). Malformed text
 * throws a {@link JsonException} that gives the line and column.
 *
 * <p>Writing accepts the same kinds of values (and also other numbers, char sequences, collections and
 * primitive arrays) compactly or pretty-printed with two-space indentation.
 */
public final class Json {

    private Json() {
    }

    /** Parses one JSON value; the whole text must be that value (surrounding whitespace allowed). */
    public static Object parse(String text) {
        return new JsonParser(text).parseDocument();
    }

    /** Reads a UTF-8 file (a leading byte-order mark is skipped) and parses it as one JSON value. */
    public static Object parse(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
            text = text.substring(1);
        }
        return parse(text);
    }

    /** Parses text that must be a JSON object. */
    public static Map<String, Object> parseObject(String text) {
        return asObject(parse(text), "JSON document");
    }

    /** The value as a JSON object; fails with a message naming {@code what} otherwise. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> asObject(Object value, String what) {
        if (value instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalArgumentException(what + " must be a JSON object, got " + typeName(value));
    }

    /** The value as a JSON array; fails with a message naming {@code what} otherwise. */
    @SuppressWarnings("unchecked")
    public static List<Object> asArray(Object value, String what) {
        if (value instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw new IllegalArgumentException(what + " must be a JSON array, got " + typeName(value));
    }

    /** The JSON type of a parsed value, for error messages: object, array, string, number, boolean or null. */
    public static String typeName(Object value) {
        return switch (value) {
            case null -> "null";
            case Map<?, ?> m -> "an object";
            case List<?> l -> "an array";
            case String s -> "a string";
            case Number n -> "a number";
            case Boolean b -> "a boolean";
            default -> value.getClass().getSimpleName();
        };
    }

    /** Compact JSON text of a value (no whitespace between tokens). */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        new JsonWriter(sb, false).write(value);
        return sb.toString();
    }

    /** Pretty-printed JSON text of a value, two spaces per level, no trailing newline. */
    public static String writePretty(Object value) {
        StringBuilder sb = new StringBuilder();
        new JsonWriter(sb, true).write(value);
        return sb.toString();
    }

    /** Writes a value to an appendable, compact or pretty. I/O errors surface as UncheckedIOException. */
    public static void write(Object value, Appendable out, boolean pretty) {
        new JsonWriter(out, pretty).write(value);
    }
}
