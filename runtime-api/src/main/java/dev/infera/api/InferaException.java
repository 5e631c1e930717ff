package dev.infera.api;

/** Base class of the errors Infera reports; each subclass names one kind of failure a caller can act on. */
public class InferaException extends RuntimeException {

    public InferaException(String message) {
        super(message);
    }

    public InferaException(String message, Throwable cause) {
        super(message, cause);
    }
}
