package dev.infera.cuda;

import dev.infera.core.backend.Availability;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Gate for tests that need a GPU: they skip, with the probe's reason, where the CUDA backend cannot
 * run, unless the run requires a GPU (system property {@code infera.cuda.required=true}, which the GPU
 * bundle's test runner sets), in which case they fail, so a GPU run can never pass by skipping.
 */
public final class GpuRequirement {

    private GpuRequirement() {
    }

    public static void requireCuda() {
        Availability a = new CudaBackendProvider().probe();
        if (a.available()) {
            return;
        }
        String message = "CUDA backend unavailable (" + a.reason() + ")";
        if (Boolean.getBoolean("infera.cuda.required")) {
            Assertions.fail(message + " but this run requires a GPU");
        }
        Assumptions.abort(message + ": GPU test skipped");
    }
}
