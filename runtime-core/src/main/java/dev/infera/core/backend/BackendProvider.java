package dev.infera.core.backend;

/**
 * A way to run models, found with {@link java.util.ServiceLoader} (register implementations in
 * {@code META-INF/services/dev.infera.core.backend.BackendProvider}). Providers are cheap to construct:
 * they must not load native libraries or touch optional JDK modules until {@link #probe()} or
 * {@link #create}, so that listing them never fails.
 */
public interface BackendProvider {

    /** Short stable name users select the backend by, such as {@code cpu} or {@code cuda}. */
    String id();

    /** Preference when the caller asks for any backend: higher wins among available ones. */
    int priority();

    /** Whether the backend can run here; never throws. */
    Availability probe();

    /** Creates a backend for one model; fails with {@link dev.infera.api.BackendUnavailableException} when {@link #probe()} would. */
    ExecutionBackend create(BackendContext context);
}
