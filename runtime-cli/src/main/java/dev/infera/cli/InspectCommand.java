package dev.infera.cli;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.gguf.GgufArray;
import dev.infera.core.gguf.GgufFile;
import dev.infera.core.gguf.GgufTensorInfo;
import dev.infera.core.gguf.GgufValue;
import dev.infera.core.gguf.GgufValueType;
import java.io.PrintStream;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * {@code infera inspect --model FILE}: the header of a GGUF file (version, alignment), its metadata with
 * long arrays and strings abbreviated, and a table of its tensors with totals. Reads only the header;
 * tensor data is never touched, so inspecting a large model is instant.
 */
final class InspectCommand implements Command {

    private static final int ARRAY_ITEMS_SHOWN = 8;
    private static final int STRING_CHARS_SHOWN = 100;

    @Override
    public String name() {
        return "inspect";
    }

    @Override
    public String summary() {
        return "show a GGUF model's metadata and tensor table";
    }

    @Override
    public String usage() {
        return "infera inspect --model FILE [--all]";
    }

    @Override
    public List<Option> options() {
        return List.of(
                Option.value("--model", "FILE", "GGUF file to inspect (required)"),
                Option.flag("--all", "print long arrays and strings in full"));
    }

    @Override
    public int run(Options options, PrintStream out, PrintStream err) {
        Path path = options.existingPath("--model");
        if (!Files.isRegularFile(path)) {
            throw new CliException("--model must name a GGUF file, but " + path + " is not a regular file");
        }
        boolean all = options.flag("--all");
        try (GgufFile f = GgufFile.open(path)) {
            out.printf(Locale.ROOT, "file:      %s (%,d bytes)%n", path, f.fileSize());
            out.printf(Locale.ROOT, "format:    GGUF version %d, alignment %d%s%n", f.version(), f.alignment(),
                    f.tensors().isEmpty() ? "" : String.format(Locale.ROOT, ", data section at byte %,d", f.dataOffset()));
            printMetadata(f, out, all);
            printTensors(f, out);
        }
        return 0;
    }

    private static void printMetadata(GgufFile f, PrintStream out, boolean all) {
        Map<String, GgufValue> md = f.metadata().asMap();
        out.println();
        out.printf(Locale.ROOT, "metadata: %d keys%n", md.size());
        int keyWidth = md.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, GgufValue> e : md.entrySet()) {
            GgufValue v = e.getValue();
            String type = v.type() == GgufValueType.ARRAY ? arrayType((GgufArray) v.value()) : v.type().name();
            out.printf(Locale.ROOT, "  %-" + keyWidth + "s  %-16s %s%n", e.getKey(), type, render(v, all));
        }
    }

    private static String arrayType(GgufArray a) {
        return a.elementType() + "[" + a.length() + "]";
    }

    static String render(GgufValue v, boolean all) {
        return switch (v.type()) {
            case STRING -> quote((String) v.value(), all);
            case ARRAY -> renderArray((GgufArray) v.value(), all);
            case UINT8, UINT16, UINT32, UINT64 -> Long.toUnsignedString(v.asLong());
            default -> String.valueOf(v.value());
        };
    }

    private static String renderArray(GgufArray a, boolean all) {
        int n = a.length();
        int shown = all ? n : Math.min(n, ARRAY_ITEMS_SHOWN);
        StringBuilder sb = new StringBuilder("[");
        long[] ints = a.elementType().isInteger() ? a.toLongs() : null;
        for (int i = 0; i < shown; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            Object item = Array.get(a.values(), i);
            switch (a.elementType()) {
                case STRING -> sb.append(quote((String) item, all));
                case ARRAY -> sb.append(arrayType((GgufArray) item)).append(' ').append(renderArray((GgufArray) item, all));
                case BOOL -> sb.append(((Byte) item) != 0);
                case UINT64 -> sb.append(Long.toUnsignedString(ints[i]));
                default -> sb.append(ints != null ? String.valueOf(ints[i]) : String.valueOf(item));
            }
        }
        if (shown < n) {
            sb.append(", ... (").append(n - shown).append(" more)");
        }
        return sb.append(']').toString();
    }

    /** A string in double quotes with control characters escaped, cut to a readable length. */
    private static String quote(String s, boolean all) {
        int limit = all ? s.length() : Math.min(s.length(), STRING_CHARS_SHOWN);
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
        if (limit < s.length()) {
            sb.append("... (").append(s.length()).append(" chars)");
        }
        return sb.toString();
    }

    private static void printTensors(GgufFile f, PrintStream out) {
        List<GgufTensorInfo> tensors = f.tensors();
        out.println();
        out.printf(Locale.ROOT, "tensors: %d%n", tensors.size());
        if (tensors.isEmpty()) {
            return;
        }
        int nameWidth = Math.max(4, tensors.stream().mapToInt(t -> t.name().length()).max().orElse(0));
        List<String> shapes = tensors.stream().map(t -> Arrays.toString(t.shape())).toList();
        int shapeWidth = Math.max(5, shapes.stream().mapToInt(String::length).max().orElse(0));
        String row = "  %-" + nameWidth + "s  %-7s  %-" + shapeWidth + "s  %,15d%n";
        out.printf(Locale.ROOT, "  %-" + nameWidth + "s  %-7s  %-" + shapeWidth + "s  %15s%n", "name", "type", "shape", "bytes");
        long totalBytes = 0;
        long totalElements = 0;
        Map<GgmlType, long[]> byType = new TreeMap<>();
        for (int i = 0; i < tensors.size(); i++) {
            GgufTensorInfo t = tensors.get(i);
            out.printf(Locale.ROOT, row, t.name(), t.type(), shapes.get(i), t.byteSize());
            totalBytes += t.byteSize();
            totalElements += t.numElements();
            long[] agg = byType.computeIfAbsent(t.type(), k -> new long[2]);
            agg[0]++;
            agg[1] += t.byteSize();
        }
        out.println();
        out.printf(Locale.ROOT, "total: %d tensors, %,d parameters, %,d bytes of tensor data%n", tensors.size(), totalElements,
                totalBytes);
        out.println("by type: " + byType.entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "%s %d tensor%s (%,d bytes)", e.getKey(), e.getValue()[0],
                        e.getValue()[0] == 1 ? "" : "s", e.getValue()[1]))
                .collect(Collectors.joining(", ")));
    }
}
