package dev.infera.cli;

import dev.infera.api.BackendUnavailableException;
import dev.infera.core.backend.Availability;
import dev.infera.core.backend.BackendProvider;
import dev.infera.core.backend.Backends;
import java.io.PrintStream;
import java.util.List;

/**
 * Resolves {@code --backend} before an engine is built. {@code auto} takes the available backend with
 * the highest priority, and the command says on stderr which one it took and why any preferred one was
 * passed over ("using backend cpu (cuda unavailable: libcuda.so.1 not found)"), once its engine has
 * started. A named backend that cannot run here fails at once, before any model is loaded, with its
 * probe's reason; an unknown name is left for the engine to report with the registered ones.
 *
 * @param id   the backend to build the engine with
 * @param note the line to print once the engine runs, or null when there is nothing to say
 */
record BackendChoice(String id, String note) {

    static BackendChoice resolve(String requested, String command) {
        return resolve(requested, command, Backends.providers());
    }

    static BackendChoice resolve(String requested, String command, List<BackendProvider> providers) {
        if (requested.equals("auto")) {
            StringBuilder passedOver = new StringBuilder();
            for (BackendProvider p : providers) {
                Availability a = p.probe();
                if (a.available()) {
                    return new BackendChoice(p.id(), "infera " + command + ": using backend " + p.id()
                            + (passedOver.isEmpty() ? "" : " (" + passedOver + ")"));
                }
                passedOver.append(passedOver.isEmpty() ? "" : "; ").append(p.id()).append(" unavailable: ")
                        .append(a.reason());
            }
            throw new BackendUnavailableException("no backend can run here: "
                    + (passedOver.isEmpty() ? "none is registered" : passedOver));
        }
        for (BackendProvider p : providers) {
            if (p.id().equals(requested)) {
                Availability a = p.probe();
                if (!a.available()) {
                    throw new BackendUnavailableException("backend '" + requested + "' cannot run: " + a.reason());
                }
            }
        }
        return new BackendChoice(requested, null);
    }

    /** Prints the note, if there is one. */
    void printNote(PrintStream err) {
        if (note != null) {
            err.println(note);
        }
    }
}
