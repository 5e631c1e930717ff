package dev.infera.api;

/**
 * The requested compute backend cannot run on this machine (no GPU driver, the JVM lacks a module it
 * needs, ...). The message names the backend and the reason its probe gave, so the user can fix the
 * setup or ask for another backend.
 */
public class BackendUnavailableException extends InferaException {

    public BackendUnavailableException(String message) {
        super(message);
    }
}
