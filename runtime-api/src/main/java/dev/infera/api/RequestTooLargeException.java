package dev.infera.api;

/**
 * A request can never run on this engine: its prompt plus maximum new tokens needs more KV cache than
 * the whole cache holds, or more context than the model has. The message gives both sizes.
 */
public class RequestTooLargeException extends InferaException {

    public RequestTooLargeException(String message) {
        super(message);
    }
}
