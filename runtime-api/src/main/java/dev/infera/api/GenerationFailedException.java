package dev.infera.api;

/**
 * A request failed part way: the backend failed during one of its steps, or its listener threw. The
 * cause says why; {@link #partialResult()} holds what was generated before the failure, with
 * {@link FinishReason#ERROR}.
 */
public class GenerationFailedException extends InferaException {

    private final transient GenerationResult partialResult;

    public GenerationFailedException(String message, Throwable cause, GenerationResult partialResult) {
        super(message, cause);
        this.partialResult = partialResult;
    }

    /** The output up to the failure (finish reason {@link FinishReason#ERROR}). */
    public GenerationResult partialResult() {
        return partialResult;
    }
}
