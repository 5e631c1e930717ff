package dev.infera.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.BackendUnavailableException;
import dev.infera.core.backend.Availability;
import dev.infera.core.backend.BackendProvider;
import dev.infera.core.backend.Backends;
import dev.infera.cuda.driver.CudaDriver;
import dev.infera.cuda.driver.CudaLibraries;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import org.junit.jupiter.api.Test;

/**
 * The probe's one-line reasons, in the order a user fixes things, against a fake environment; and the
 * real probe and backend selection on this machine.
 */
class CudaProbeTest {

    /** A healthy machine; tests break one thing at a time. */
    static class Fake implements CudaProbe.Environment {
        String driverProblem;
        int initStatus;
        int devices = 1;
        int computeCapability = 90;
        boolean kernels = true;
        String cublasProblem;

        @Override
        public String driverProblem() {
            return driverProblem;
        }

        @Override
        public int init() {
            return initStatus;
        }

        @Override
        public String errorName(int status) {
            return "CUDA_ERROR_" + status;
        }

        @Override
        public int deviceCount() {
            return devices;
        }

        @Override
        public int computeCapability() {
            return computeCapability;
        }

        @Override
        public String deviceName() {
            return "Test GPU";
        }

        @Override
        public boolean kernelsBuilt() {
            return kernels;
        }

        @Override
        public String cublasProblem() {
            return cublasProblem;
        }
    }

    @Test
    void healthyEnvironmentIsAvailable() {
        assertThat(CudaProbe.probe(new Fake()).available()).isTrue();
    }

    @Test
    void eachMissingPieceGivesItsReasonInOrder() {
        Fake f = new Fake();
        f.cublasProblem = "cuBLAS not found (libcublas.so.13/.12)";
        assertThat(CudaProbe.probe(f).reason()).isEqualTo("cuBLAS not found (libcublas.so.13/.12)");
        f.kernels = false;
        assertThat(CudaProbe.probe(f).reason()).isEqualTo("kernels were not built: nvcc was missing at build time");
        f.computeCapability = 75;
        assertThat(CudaProbe.probe(f).reason())
                .isEqualTo("GPU Test GPU has compute capability 7.5; the CUDA kernels need 8.0 or newer");
        f.devices = 0;
        assertThat(CudaProbe.probe(f).reason()).isEqualTo("no CUDA device");
        f.initStatus = CudaDriver.CUDA_ERROR_NO_DEVICE;
        assertThat(CudaProbe.probe(f).reason()).isEqualTo("no CUDA device");
        f.initStatus = 35;
        assertThat(CudaProbe.probe(f).reason()).isEqualTo("cuInit failed: CUDA_ERROR_35");
        f.driverProblem = "libcuda.so.1 not found";
        Availability a = CudaProbe.probe(f);
        assertThat(a.available()).isFalse();
        assertThat(a.reason()).isEqualTo("libcuda.so.1 not found");
    }

    @Test
    void aFailingEnvironmentIsAReasonNotAnException() {
        Fake f = new Fake() {
            @Override
            public int deviceCount() {
                throw new IllegalStateException("driver exploded");
            }
        };
        assertThat(CudaProbe.probe(f).reason()).isEqualTo("probing CUDA failed: driver exploded");
    }

    private static boolean libcudaLoadable() {
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup.libraryLookup(CudaDriver.SONAME, arena);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Test
    void onThisMachineTheProbeNamesWhatIsMissing() {
        Availability a = new CudaBackendProvider().probe();
        if (!libcudaLoadable()) {
            assertThat(a.available()).isFalse();
            assertThat(a.reason()).isEqualTo("libcuda.so.1 not found");
            assertThat(CudaLibraries.driver().isPresent()).isFalse();
            assertThatThrownBy(() -> CudaLibraries.driver().require()).hasMessage("libcuda.so.1 not found");
        } else {
            assertThat(a.available() || a.reason().equals("no CUDA device")
                    || a.reason().equals(CudaProbe.KERNELS_NOT_BUILT) || a.reason().startsWith("cuBLAS not found")
                    || a.reason().contains("compute capability")).as(a.reason()).isTrue();
        }
    }

    @Test
    void serviceLoaderFindsCudaAboveCpuAndAutoFallsBackWhenItCannotRun() {
        BackendProvider cuda = Backends.providers().getFirst();
        assertThat(cuda.id()).isEqualTo("cuda");
        assertThat(Backends.providers()).extracting(BackendProvider::id).containsExactly("cuda", "cpu");
        Availability a = cuda.probe();
        if (a.available()) {
            assertThat(Backends.select("auto").id()).isEqualTo("cuda");
        } else {
            assertThat(Backends.select("auto").id()).isEqualTo("cpu");
            assertThatThrownBy(() -> Backends.select("cuda")).isInstanceOf(BackendUnavailableException.class)
                    .hasMessage("backend 'cuda' cannot run: " + a.reason());
            assertThatThrownBy(() -> cuda.create(null)).isInstanceOf(BackendUnavailableException.class)
                    .hasMessage("backend 'cuda' cannot run: " + a.reason());
        }
    }
}
