package dev.infera.cli;

import dev.infera.core.backend.Availability;
import dev.infera.core.backend.BackendProvider;
import dev.infera.core.backend.Backends;
import java.io.PrintStream;
import java.util.List;

/**
 * Resolves {@code --backend} before an engine is built. {@code auto} takes the available backend with
 * the highest priority and says on stderr which one it took and why any preferred one was passed over
 * ("using backend cpu (cuda unavailable: libcuda.so.1 not found)"). A named backend that cannot run
 * here is a one-line error with its probe's reason; an unknown name lists the registered ones.
 */
final class BackendChoice {

    private BackendChoice() {
    }

    /** The id of the backend to run on. */
    static String resolve(String requested, String command, PrintStream err) {
        return resolve(requested, command, err, Backends.providers());
    }

    static String resolve(String requested, String command, PrintStream err, List<BackendProvider> providers) {
        if (requested.equals("auto")) {
            StringBuilder passedOver = new StringBuilder();
            for (BackendProvider p : providers) {
                Availability a = p.probe();
                if (a.available()) {
                    err.println("infera " + command + ": using backend " + p.id()
                            + (passedOver.isEmpty() ? "" : " (" + passedOver + ")"));
                    return p.id();
                }
                passedOver.append(passedOver.isEmpty() ? "" : "; ").append(p.id()).append(" unavailable: ")
                        .append(a.reason());
            }
            throw new CliException("no backend can run here: " + (passedOver.isEmpty() ? "none is registered" : passedOver));
        }
        for (BackendProvider p : providers) {
            if (p.id().equals(requested)) {
                Availability a = p.probe();
                if (!a.available()) {
                    throw new CliException("backend " + requested + " cannot run here: " + a.reason());
                }
                return requested;
            }
        }
        throw new CliException("unknown --backend '" + requested + "'; use auto or one of: "
                + String.join(", ", providers.stream().map(BackendProvider::id).toList()));
    }
}
