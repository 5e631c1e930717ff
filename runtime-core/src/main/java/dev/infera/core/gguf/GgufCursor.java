package dev.infera.core.gguf;

import dev.infera.api.ModelFormatException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked little-endian reader over the header of a GGUF file. Every read checks that the
 * bytes exist, and every length or count read from the file is checked against the bytes that remain
 * before anything is allocated for it, so a forged count cannot cause an out-of-memory error. Errors
 * name what was being read ({@code context}) and the byte offset.
 */
final class GgufCursor {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment segment;
    private final long size;
    private final String source;
    private long position;

    GgufCursor(MemorySegment segment, String source) {
        this.segment = segment;
        this.size = segment.byteSize();
        this.source = source;
    }

    long position() {
        return position;
    }

    long remaining() {
        return size - position;
    }

    void seek(long newPosition, String context) {
        if (newPosition < 0 || newPosition > size) {
            throw error(context + ": offset " + newPosition + " is outside the file (" + size + " bytes)", position);
        }
        position = newPosition;
    }

    ModelFormatException error(String message, long offset) {
        return new ModelFormatException(source + ": " + message + " (at byte offset " + offset + ")");
    }

    private long need(long bytes, String context) {
        if (bytes < 0 || bytes > remaining()) {
            throw error("truncated while reading " + context + ": needs " + bytes + " bytes, "
                    + Math.max(0, remaining()) + " left", position);
        }
        long at = position;
        position += bytes;
        return at;
    }

    byte u8(String context) {
        return segment.get(ValueLayout.JAVA_BYTE, need(1, context));
    }

    short u16(String context) {
        return segment.get(SHORT, need(2, context));
    }

    int u32(String context) {
        return segment.get(INT, need(4, context));
    }

    long u64(String context) {
        return segment.get(LONG, need(8, context));
    }

    float f32(String context) {
        return segment.get(FLOAT, need(4, context));
    }

    double f64(String context) {
        return segment.get(DOUBLE, need(8, context));
    }

    /**
     * Reads a count and checks that {@code count * minBytesEach} bytes can still follow it, so the
     * caller may allocate {@code count} slots.
     */
    int count(String context, long minBytesEach, int maxCount) {
        long at = position;
        long n = u64(context + " count");
        if (n < 0 || n > maxCount || (minBytesEach > 0 && n > remaining() / minBytesEach)) {
            throw error(context + " count " + Long.toUnsignedString(n) + " is impossible: only " + remaining()
                    + " bytes remain in the file", at);
        }
        return (int) n;
    }

    String string(String context) {
        return string(context, -1);
    }

    /**
     * Reads a string; {@code index >= 0} marks element {@code index} of the array {@code context}. The
     * element's name is built only for an error, as vocabularies hold hundreds of thousands of strings.
     */
    String string(String context, long index) {
        long at = position;
        if (remaining() < 8) {
            need(8, elementName(context, index) + " length");
        }
        long len = segment.get(LONG, position);
        if (len < 0 || len > remaining() - 8 || len > Integer.MAX_VALUE - 16) {
            throw error(elementName(context, index) + " length " + Long.toUnsignedString(len) + " exceeds the "
                    + (remaining() - 8) + " bytes that remain", at);
        }
        position += 8;
        if (len == 0) {
            return "";
        }
        byte[] utf8 = new byte[(int) len];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, position, utf8, 0, (int) len);
        position += len;
        // Malformed UTF-8 (which valid files do not contain) decodes to U+FFFD instead of failing.
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static String elementName(String context, long index) {
        return index < 0 ? context : context + "[" + index + "]";
    }

    byte[] bytes(long len, String context) {
        long start = need(len, context);
        return segment.asSlice(start, len).toArray(ValueLayout.JAVA_BYTE);
    }

    MemorySegment segment() {
        return segment;
    }
}
