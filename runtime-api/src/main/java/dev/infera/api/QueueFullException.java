package dev.infera.api;

/** The engine's request queue is full; nothing was queued. Back off and submit again later. */
public class QueueFullException extends InferaException {

    public QueueFullException(String message) {
        super(message);
    }
}
