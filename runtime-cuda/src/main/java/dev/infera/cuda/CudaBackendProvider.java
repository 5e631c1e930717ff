package dev.infera.cuda;

import dev.infera.api.BackendUnavailableException;
import dev.infera.core.backend.Availability;
import dev.infera.core.backend.BackendContext;
import dev.infera.core.backend.BackendProvider;
import dev.infera.core.backend.ExecutionBackend;

/**
 * Registers the CUDA backend (id {@code cuda}) with {@link java.util.ServiceLoader}. Constructing the
 * provider loads nothing; {@link #probe()} opens the driver and cuBLAS and reports in one line why the
 * backend cannot run ("libcuda.so.1 not found", "no CUDA device", "kernels were not built: nvcc was
 * missing at build time", "cuBLAS not found (libcublas.so.13/.12)"). Its priority is above the CPU
 * backend's, so {@code auto} picks the GPU when the probe passes.
 */
public final class CudaBackendProvider implements BackendProvider {

    public static final String ID = "cuda";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Availability probe() {
        return CudaProbe.probe();
    }

    @Override
    public ExecutionBackend create(BackendContext context) {
        Availability a = probe();
        if (!a.available()) {
            throw new BackendUnavailableException("backend '" + ID + "' cannot run: " + a.reason());
        }
        return CudaBackend.create(context);
    }
}
