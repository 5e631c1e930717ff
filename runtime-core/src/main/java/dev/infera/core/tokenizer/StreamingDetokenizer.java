package dev.infera.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes a stream of token ids into text deltas, one call per id, for streaming generated text.
 *
 * <p>A token may end in the middle of a UTF-8 character (byte-fallback and byte-level vocabularies
 * split emoji and CJK characters across tokens). Such trailing bytes are held back until the
 * character is complete, so a delta never carries half a character; {@link #flush()} releases what is
 * left at the end (an unfinished character becomes U+FFFD). The concatenation of all deltas and the
 * flush equals {@link Tokenizer#decode} of the same ids: bytes are only cut at points where a
 * whole-text UTF-8 decoder would also be between characters.
 *
 * <p>Not thread-safe: one instance per stream.
 */
public final class StreamingDetokenizer {

    private final byte[][] renderedBytes;
    private final boolean[] hiddenUnlessSpecial;
    private final boolean[] stripsLeadingSpace;
    private final boolean renderSpecial;
    private boolean stripPending;
    private byte[] pending = new byte[16];
    private int pendingLength;

    StreamingDetokenizer(byte[][] renderedBytes, boolean[] hiddenUnlessSpecial, boolean[] stripsLeadingSpace,
                         boolean stripFirstSpace, boolean renderSpecial) {
        this.renderedBytes = renderedBytes;
        this.hiddenUnlessSpecial = hiddenUnlessSpecial;
        this.stripsLeadingSpace = stripsLeadingSpace;
        this.stripPending = stripFirstSpace;
        this.renderSpecial = renderSpecial;
    }

    /**
     * Feeds a token id a model produced: ids at or beyond the tokenizer's vocabulary (models whose
     * embedding has more rows than the tokenizer has tokens, i.e. padded vocabularies) carry no text.
     * Negative ids are still rejected.
     */
    public String acceptModelToken(int id) {
        return id >= renderedBytes.length ? "" : accept(id);
    }

    /** Feeds one token id; returns the text that is now complete (possibly empty, never null). */
    public String accept(int id) {
        if (id < 0 || id >= renderedBytes.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (size "
                    + renderedBytes.length + ")");
        }
        if (hiddenUnlessSpecial[id] && !renderSpecial) {
            return "";
        }
        byte[] piece = renderedBytes[id];
        int from = 0;
        if (stripPending && piece.length > 0) {
            if (stripsLeadingSpace[id] && piece[0] == ' ') {
                from = 1;
            }
            stripPending = false;
        }
        append(piece, from, piece.length - from);
        int complete = completePrefixLength(pending, pendingLength);
        if (complete == 0) {
            return "";
        }
        String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, pendingLength - complete);
        pendingLength -= complete;
        return text;
    }

    /** Releases the held-back bytes at the end of the stream (an unfinished character becomes U+FFFD). */
    public String flush() {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        return text;
    }

    /** Bytes currently held back because they end in an unfinished character. */
    public int pendingBytes() {
        return pendingLength;
    }

    private void append(byte[] src, int from, int length) {
        if (pendingLength + length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + length));
        }
        System.arraycopy(src, from, pending, pendingLength, length);
        pendingLength += length;
    }

    /**
     * The length of the longest prefix that ends between characters: everything except a trailing
     * lead byte (plus its continuation bytes) that still waits for more continuation bytes.
     */
    static int completePrefixLength(byte[] bytes, int length) {
        int i = length - 1;
        int continuation = 0;
        while (i >= 0 && continuation < 3 && (bytes[i] & 0xC0) == 0x80) {
            i--;
            continuation++;
        }
        if (i < 0) {
            return length;
        }
        int lead = bytes[i] & 0xFF;
        int needed;
        if (lead >= 0xF0 && lead <= 0xF4) {
            needed = 3;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            needed = 2;
        } else if (lead >= 0xC2 && lead <= 0xDF) {
            needed = 1;
        } else {
            return length;
        }
        return continuation < needed ? i : length;
    }
}
