package dev.infera.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The fatbin nvcc built from {@code src/main/cuda} (machine code for sm_80, sm_86, sm_89 and sm_90
 * plus compute_90 PTX), a class path resource. It is absent when the module was built without nvcc.
 */
final class KernelImage {

    static final String RESOURCE = "/dev/infera/cuda/kernels.fatbin";

    private KernelImage() {
    }

    static boolean present() {
        return KernelImage.class.getResource(RESOURCE) != null;
    }

    /** The fatbin's bytes; an {@link IllegalStateException} when the module was built without nvcc. */
    static byte[] read() {
        try (InputStream in = KernelImage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(CudaProbe.KERNELS_NOT_BUILT);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CUDA kernels " + RESOURCE, e);
        }
    }
}
