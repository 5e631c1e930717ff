package dev.infera.core.tokenizer;

import java.io.ByteArrayOutputStream;

/**
 * The reversible byte-to-character mapping of byte-level BPE vocabularies (GPT-2 and descendants):
 * printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100.. in byte order, so every
 * byte sequence becomes a printable string (a space becomes {@code Ġ}, a newline {@code Ċ}).
 * Vocabularies store tokens in this form; the tokenizers here work on the raw bytes.
 */
final class ByteLevel {

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final short[] CHAR_TO_BYTE = new short[0x180];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (0x100 + next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    private ByteLevel() {
    }

    /** The character that stands for a byte. */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a character stands for, or -1 when the character is not part of the mapping. */
    static int byteOf(int c) {
        return c >= 0 && c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** Raw bytes to their byte-level string. */
    static String encode(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            sb.append(BYTE_TO_CHAR[b & 0xFF]);
        }
        return sb.toString();
    }

    /**
     * A byte-level string back to raw bytes, or null when it holds a character outside the mapping
     * (such strings are not byte-level tokens, e.g. an added token written as plain text).
     */
    static byte[] decode(String text) {
        byte[] out = new byte[text.length()];
        for (int i = 0; i < text.length(); i++) {
            int b = byteOf(text.charAt(i));
            if (b < 0) {
                return null;
            }
            out[i] = (byte) b;
        }
        return out;
    }

    /** Like {@link #decode} but keeps unmapped characters as their UTF-8 bytes. */
    static byte[] decodeLenient(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int b = byteOf(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }
}
