package dev.infera.core.json;

/**
 * Malformed JSON text. The message says what was expected and where: 1-based line and column (in
 * UTF-16 code units of that line) and the character offset from the start of the text.
 */
public final class JsonException extends IllegalArgumentException {

    private final int line;
    private final int column;
    private final int offset;

    JsonException(String what, int line, int column, int offset) {
        super(what + " at line " + line + ", column " + column + " (offset " + offset + ")");
        this.line = line;
        this.column = column;
        this.offset = offset;
    }

    /** Line of the error, starting at 1. */
    public int line() {
        return line;
    }

    /** Column of the error within its line, starting at 1. */
    public int column() {
        return column;
    }

    /** Character offset of the error from the start of the text. */
    public int offset() {
        return offset;
    }
}
