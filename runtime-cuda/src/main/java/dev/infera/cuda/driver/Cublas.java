package dev.infera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * cuBLAS ({@code libcublas.so.13}, else {@code .12}) through Panama downcalls: handle creation, the
 * stream and workspace a handle runs on, and the mixed-precision GEMMs the CUDA backend uses
 * ({@code cublasGemmEx}, {@code cublasGemmStridedBatchedEx}) with F32 accumulation. Matrices are
 * column-major, as cuBLAS defines them. Every call's {@code cublasStatus_t} is checked and a failure is
 * a {@link CudaException} naming the call and the status.
 */
public final class Cublas {

    public static final String[] SONAMES = {"libcublas.so.13", "libcublas.so.12"};

    public static final int OP_N = 0;
    public static final int OP_T = 1;
    /** {@code cudaDataType_t} values. */
    public static final int CUDA_R_32F = 0;
    public static final int CUDA_R_16F = 2;
    public static final int CUDA_R_16BF = 14;
    /** {@code CUBLAS_COMPUTE_32F}: F32 accumulation, no reduced-precision shortcuts. */
    public static final int COMPUTE_32F = 68;
    public static final int GEMM_DEFAULT = -1;

    private final String soname;
    private final MethodHandle cublasCreate;
    private final MethodHandle cublasDestroy;
    private final MethodHandle cublasSetStream;
    private final MethodHandle cublasSetWorkspace;
    private final MethodHandle cublasGemmEx;
    private final MethodHandle cublasGemmStridedBatchedEx;
    /** alpha = 1 and beta = 0, F32, in host memory for the life of the process (read by every GEMM). */
    private final MemorySegment alphaOne;
    private final MemorySegment betaZero;

    Cublas(NativeLibrary lib, Arena arena) {
        this.soname = lib.soname();
        cublasCreate = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cublasCreate_v2");
        cublasDestroy = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cublasDestroy_v2");
        cublasSetStream = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cublasSetStream_v2");
        cublasSetWorkspace = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG),
                "cublasSetWorkspace_v2");
        cublasGemmEx = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), "cublasGemmEx");
        cublasGemmStridedBatchedEx = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT,
                JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT),
                "cublasGemmStridedBatchedEx");
        alphaOne = arena.allocateFrom(JAVA_FLOAT, 1f);
        betaZero = arena.allocateFrom(JAVA_FLOAT, 0f);
    }

    /** Which library was opened. */
    public String soname() {
        return soname;
    }

    private static void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(call, status, statusName(status), null);
        }
    }

    /** The name of a {@code cublasStatus_t}. */
    public static String statusName(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "CUBLAS_STATUS_" + status;
        };
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** A new handle, bound to the current context. */
    public MemorySegment create() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check((int) cublasCreate.invokeExact(out), "cublasCreate_v2");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void destroy(MemorySegment handle) {
        try {
            check((int) cublasDestroy.invokeExact(handle), "cublasDestroy_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void setStream(MemorySegment handle, MemorySegment stream) {
        try {
            check((int) cublasSetStream.invokeExact(handle, stream), "cublasSetStream_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Gives the handle a workspace it owns for good, so GEMMs captured into a CUDA graph never allocate
     * during capture.
     */
    public void setWorkspace(MemorySegment handle, long devicePointer, long bytes) {
        try {
            check((int) cublasSetWorkspace.invokeExact(handle, MemorySegment.ofAddress(devicePointer), bytes),
                    "cublasSetWorkspace_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code C = op(A) op(B)} (alpha 1, beta 0) with F32 accumulation; {@code a}, {@code b}, {@code c}
     * are device pointers, the types {@code CUDA_R_*} values.
     */
    public void gemm(MemorySegment handle, int transA, int transB, int m, int n, int k, long a, int aType, int lda,
            long b, int bType, int ldb, long c, int cType, int ldc) {
        int rc;
        try {
            rc = (int) cublasGemmEx.invokeExact(handle, transA, transB, m, n, k, alphaOne, MemorySegment.ofAddress(a),
                    aType, lda, MemorySegment.ofAddress(b), bType, ldb, betaZero, MemorySegment.ofAddress(c), cType,
                    ldc, COMPUTE_32F, GEMM_DEFAULT);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(rc, "cublasGemmEx");
    }

    /** {@link #gemm} over {@code batchCount} equally spaced matrices (strides in elements). */
    public void gemmStridedBatched(MemorySegment handle, int transA, int transB, int m, int n, int k, long a,
            int aType, int lda, long strideA, long b, int bType, int ldb, long strideB, long c, int cType, int ldc,
            long strideC, int batchCount) {
        int rc;
        try {
            rc = (int) cublasGemmStridedBatchedEx.invokeExact(handle, transA, transB, m, n, k, alphaOne,
                    MemorySegment.ofAddress(a), aType, lda, strideA, MemorySegment.ofAddress(b), bType, ldb, strideB,
                    betaZero, MemorySegment.ofAddress(c), cType, ldc, strideC, batchCount, COMPUTE_32F,
                    GEMM_DEFAULT);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(rc, "cublasGemmStridedBatchedEx");
    }
}
