package dev.infera.core.backend;

import dev.infera.api.BackendUnavailableException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** Finds {@link BackendProvider}s on the class path and picks one by id or by priority. */
public final class Backends {

    private Backends() {
    }

    /** Every registered provider, highest priority first. */
    public static List<BackendProvider> providers() {
        return providers(ServiceLoader.load(BackendProvider.class));
    }

    static List<BackendProvider> providers(Iterable<BackendProvider> found) {
        List<BackendProvider> list = new ArrayList<>();
        found.forEach(list::add);
        list.sort(Comparator.comparingInt(BackendProvider::priority).reversed().thenComparing(BackendProvider::id));
        return list;
    }

    /**
     * The provider named {@code id}, or the best available one for {@code "auto"}.
     *
     * @throws BackendUnavailableException when the named backend (or, for {@code auto}, every one) cannot
     *                                     run here; the message gives each probe's reason
     * @throws IllegalArgumentException    when no provider has that id
     */
    public static BackendProvider select(String id) {
        return select(id, providers());
    }

    static BackendProvider select(String id, List<BackendProvider> providers) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("backend id must not be blank (use \"auto\" for the best available)");
        }
        StringBuilder reasons = new StringBuilder();
        for (BackendProvider p : providers) {
            if (!id.equals("auto") && !id.equals(p.id())) {
                continue;
            }
            Availability a = p.probe();
            if (a.available()) {
                return p;
            }
            if (!id.equals("auto")) {
                throw new BackendUnavailableException("backend '" + id + "' cannot run: " + a.reason());
            }
            reasons.append(reasons.isEmpty() ? "" : "; ").append(p.id()).append(": ").append(a.reason());
        }
        if (!reasons.isEmpty()) {
            throw new BackendUnavailableException("no backend can run here: " + reasons);
        }
        List<String> ids = providers.stream().map(BackendProvider::id).toList();
        throw new IllegalArgumentException("unknown backend '" + id + "'; registered: "
                + (ids.isEmpty() ? "none (add runtime-cpu to the class path)" : String.join(", ", ids)));
    }
}
