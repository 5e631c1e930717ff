package dev.infera.api;

/** The engine was closed: it accepts no new requests, and requests it could not finish fail with this. */
public class EngineClosedException extends InferaException {

    public EngineClosedException(String message) {
        super(message);
    }
}
