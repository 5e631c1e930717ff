package dev.infera.cli;

/** A user error on the command line (bad option, missing file): printed as one line, exit code 2. */
public final class CliException extends RuntimeException {
    public CliException(String message) {
        super(message);
    }
}
