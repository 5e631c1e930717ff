package dev.infera.cuda;

import dev.infera.core.backend.Availability;
import dev.infera.cuda.driver.CudaDriver;
import dev.infera.cuda.driver.CudaLibraries;

/**
 * Decides whether the CUDA backend can run here, and if not says why in one line, checking in the
 * order a user fixes things: the driver library, a device (of compute capability 8.0 or newer, which
 * the fatbin's machine code and PTX need), the kernels built into this jar, cuBLAS. It never throws:
 * any unexpected failure becomes the reason.
 */
final class CudaProbe {

    static final String KERNELS_NOT_BUILT = "kernels were not built: nvcc was missing at build time";
    static final String NO_DEVICE = "no CUDA device";
    static final int MIN_COMPUTE_CAPABILITY = 80;

    /** What the probe looks at; the real one asks the driver, tests supply fakes. */
    interface Environment {
        /** Why the driver cannot be loaded, or null when it can. */
        String driverProblem();

        /** {@code cuInit(0)}'s status. */
        int init();

        String errorName(int status);

        int deviceCount();

        /** Major * 10 + minor of device 0. */
        int computeCapability();

        String deviceName();

        boolean kernelsBuilt();

        /** Why cuBLAS cannot be loaded, or null when it can. */
        String cublasProblem();
    }

    private CudaProbe() {
    }

    static Availability probe() {
        return probe(new SystemEnvironment());
    }

    static Availability probe(Environment env) {
        try {
            String driverProblem = env.driverProblem();
            if (driverProblem != null) {
                return Availability.unavailable(driverProblem);
            }
            int status = env.init();
            if (status == CudaDriver.CUDA_ERROR_NO_DEVICE) {
                return Availability.unavailable(NO_DEVICE);
            }
            if (status != 0) {
                return Availability.unavailable("cuInit failed: " + env.errorName(status));
            }
            if (env.deviceCount() < 1) {
                return Availability.unavailable(NO_DEVICE);
            }
            int cc = env.computeCapability();
            if (cc < MIN_COMPUTE_CAPABILITY) {
                return Availability.unavailable("GPU " + env.deviceName() + " has compute capability " + cc / 10 + "."
                        + cc % 10 + "; the CUDA kernels need 8.0 or newer");
            }
            if (!env.kernelsBuilt()) {
                return Availability.unavailable(KERNELS_NOT_BUILT);
            }
            String cublasProblem = env.cublasProblem();
            if (cublasProblem != null) {
                return Availability.unavailable(cublasProblem);
            }
            return Availability.ok();
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("probing CUDA failed: " + e.getMessage());
        }
    }

    /** The probe's view of this process: the real driver, this jar's resources, the real cuBLAS. */
    static final class SystemEnvironment implements Environment {

        private CudaDriver driver() {
            return CudaLibraries.driver().require();
        }

        @Override
        public String driverProblem() {
            return CudaLibraries.driver().problem();
        }

        @Override
        public int init() {
            return driver().init();
        }

        @Override
        public String errorName(int status) {
            return driver().errorName(status);
        }

        @Override
        public int deviceCount() {
            return driver().deviceCount();
        }

        @Override
        public int computeCapability() {
            CudaDriver d = driver();
            int device = d.device(0);
            return 10 * d.deviceAttribute(device, CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                    + d.deviceAttribute(device, CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        }

        @Override
        public String deviceName() {
            CudaDriver d = driver();
            return d.deviceName(d.device(0));
        }

        @Override
        public boolean kernelsBuilt() {
            return KernelImage.present();
        }

        @Override
        public String cublasProblem() {
            return CudaLibraries.cublas().problem();
        }
    }
}
