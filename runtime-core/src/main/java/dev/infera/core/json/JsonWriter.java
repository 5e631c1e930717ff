package dev.infera.core.json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes Java values as JSON: maps with string keys, collections, arrays (object and primitive),
 * strings and other char sequences, numbers, booleans and null. Strings are escaped so the output
 * is always valid JSON (quotes, backslashes and control characters; other characters are written as
 * they are). Non-finite numbers and unsupported types are rejected with an
 * {@link IllegalArgumentException} rather than producing invalid output.
 */
final class JsonWriter {

    private final Appendable out;
    private final boolean pretty;
    private int indent;

    JsonWriter(Appendable out, boolean pretty) {
        this.out = out;
        this.pretty = pretty;
    }

    void write(Object value) {
        try {
            writeValue(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeValue(Object value) throws IOException {
        switch (value) {
            case null -> out.append("null");
            case CharSequence s -> writeString(s);
            case Boolean b -> out.append(b ? "true" : "false");
            case Integer i -> out.append(Integer.toString(i));
            case Long l -> out.append(Long.toString(l));
            case Short s -> out.append(Short.toString(s));
            case Byte b -> out.append(Byte.toString(b));
            case BigInteger b -> out.append(b.toString());
            case BigDecimal b -> out.append(b.toString());
            case Double d -> writeDouble(d);
            case Float f -> writeFloat(f);
            case Map<?, ?> m -> writeObject(m);
            case Collection<?> c -> writeArray(c.iterator(), c.isEmpty());
            case Object[] a -> writeArray(java.util.Arrays.asList(a).iterator(), a.length == 0);
            case int[] a -> writeArray(java.util.Arrays.stream(a).boxed().iterator(), a.length == 0);
            case long[] a -> writeArray(java.util.Arrays.stream(a).boxed().iterator(), a.length == 0);
            case double[] a -> writeArray(java.util.Arrays.stream(a).boxed().iterator(), a.length == 0);
            case float[] a -> {
                Double[] boxed = new Double[a.length];
                for (int i = 0; i < a.length; i++) {
                    boxed[i] = (double) a[i];
                }
                writeArray(java.util.Arrays.asList((Object[]) boxed).iterator(), a.length == 0);
            }
            default -> throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private void writeDouble(double d) throws IOException {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("cannot write the non-finite number " + d + " as JSON");
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            out.append(Long.toString((long) d)).append(".0");
        } else {
            out.append(Double.toString(d));
        }
    }

    private void writeFloat(float f) throws IOException {
        if (!Float.isFinite(f)) {
            throw new IllegalArgumentException("cannot write the non-finite number " + f + " as JSON");
        }
        out.append(Float.toString(f));
    }

    private void writeObject(Map<?, ?> map) throws IOException {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append('{');
        indent++;
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
            }
            if (!first) {
                out.append(',');
            }
            first = false;
            newline();
            writeString(key);
            out.append(pretty ? ": " : ":");
            writeValue(e.getValue());
        }
        indent--;
        newline();
        out.append('}');
    }

    private void writeArray(Iterator<?> it, boolean empty) throws IOException {
        if (empty) {
            out.append("[]");
            return;
        }
        out.append('[');
        indent++;
        boolean first = true;
        while (it.hasNext()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            newline();
            writeValue(it.next());
        }
        indent--;
        newline();
        out.append(']');
    }

    private void newline() throws IOException {
        if (pretty) {
            out.append('\n');
            for (int i = 0; i < indent; i++) {
                out.append("  ");
            }
        }
    }

    private void writeString(CharSequence s) throws IOException {
        out.append('"');
        int runStart = 0;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            String escape = switch (c) {
                case '"' -> "\\\"";
                case '\\' -> "\\\\";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                case '\b' -> "\\b";
                case '\f' -> "\\f";
                default -> c < 0x20 || c == 0x2028 || c == 0x2029 ? String.format("\\u%04x", (int) c) : null;
            };
            if (escape != null) {
                out.append(s, runStart, i).append(escape);
                runStart = i + 1;
            }
        }
        out.append(s, runStart, n);
        out.append('"');
    }
}
