package dev.infera.core.tokenizer;

/**
 * The kind of a vocabulary entry, with the numbers GGUF stores in {@code tokenizer.ggml.token_type}.
 * Control and unknown tokens are never produced from ordinary text; user-defined tokens are matched
 * literally in the input even when special-token parsing is off; byte tokens ({@code <0xXX>}) stand
 * for one raw byte.
 */
public enum TokenType {
    UNDEFINED(0),
    NORMAL(1),
    UNKNOWN(2),
    CONTROL(3),
    USER_DEFINED(4),
    UNUSED(5),
    BYTE(6);

    private static final TokenType[] BY_ID = values();

    private final int ggufId;

    TokenType(int ggufId) {
        this.ggufId = ggufId;
    }

    /** The number stored in GGUF. */
    public int ggufId() {
        return ggufId;
    }

    /** True for the types that are split out of the input before the model's own algorithm runs. */
    public boolean isSpecial() {
        return this == CONTROL || this == USER_DEFINED || this == UNKNOWN;
    }

    /** The type for a GGUF number; unknown numbers read as {@link #UNDEFINED}. */
    public static TokenType fromGguf(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : UNDEFINED;
    }
}
