package dev.infera.api;

/**
 * A model or tokenizer file is malformed, truncated, or uses something Infera does not support. The
 * message names the file part (metadata key, tensor, field) and, where it applies, the byte offset.
 */
public class ModelFormatException extends InferaException {

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
