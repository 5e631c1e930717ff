package dev.infera.cpu;

import dev.infera.api.BackendUnavailableException;
import dev.infera.core.backend.Availability;
import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.BackendProvider;
import dev.infera.core.backend.ExecutionBackend;

/**
 * Registers the CPU backend (id {@code cpu}) with {@link java.util.ServiceLoader}. It runs wherever
 * the JVM has the incubating Vector API module; the probe says how to enable it when it is missing.
 * The lowest priority of the built-in backends: an available GPU backend is preferred.
 */
public final class CpuBackendProvider implements BackendProvider {

    public static final String ID = "cpu";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public Availability probe() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return Availability.unavailable("the JVM was started without the Vector API: add the option "
                    + "--add-modules jdk.incubator.vector");
        }
        return Availability.ok();
    }

    @Override
    public ExecutionBackend create(BackendContext context) {
        Availability a = probe();
        if (!a.available()) {
            throw new BackendUnavailableException("backend '" + ID + "' cannot run: " + a.reason());
        }
        return CpuBackend.create(context);
    }
}
