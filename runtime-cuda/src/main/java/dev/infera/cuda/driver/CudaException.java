package dev.infera.cuda.driver;

import dev.infera.api.InferaException;

/**
 * A CUDA driver or cuBLAS call that returned an error: the message names the call, the error's name
 * (such as {@code CUDA_ERROR_OUT_OF_MEMORY} or {@code CUBLAS_STATUS_NOT_SUPPORTED}) and, where the
 * library gives one, its description.
 */
public final class CudaException extends InferaException {

    private final String call;
    private final int status;
    private final String errorName;

    public CudaException(String call, int status, String errorName, String description) {
        super(call + " failed: " + errorName + (description == null || description.isBlank() ? "" : " (" + description + ")"));
        this.call = call;
        this.status = status;
        this.errorName = errorName;
    }

    /** A failure that is not one call's status, such as device memory that cannot hold a request. */
    public CudaException(String message) {
        super(message);
        this.call = "";
        this.status = 0;
        this.errorName = "";
    }

    /** The C function that failed, such as {@code cuMemAlloc_v2}; empty for other failures. */
    public String call() {
        return call;
    }

    /** The numeric status the call returned. */
    public int status() {
        return status;
    }

    /** The status's symbolic name. */
    public String errorName() {
        return errorName;
    }
}
