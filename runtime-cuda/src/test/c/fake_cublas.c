/*
 * A stand-in for libcublas for the binding tests on machines without a GPU: the cuBLAS entry points
 * the backend binds, with cublas_api.h's prototypes (cudaDataType from the real library_types.h),
 * computing F32 GEMMs on host memory so the test can check that all 19 (or 23) arguments arrived in
 * order.
 */
#include <library_types.h>
#include <stddef.h>

typedef int cublasStatus_t;
typedef struct cublasContext *cublasHandle_t;
typedef struct CUstream_st *cudaStream_t;
typedef enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 } cublasOperation_t;
typedef enum { CUBLAS_COMPUTE_32F = 68 } cublasComputeType_t;
typedef enum { CUBLAS_GEMM_DEFAULT = -1 } cublasGemmAlgo_t;

#define OK 0
#define INVALID_VALUE 7
#define NOT_SUPPORTED 15

static struct cublasContext { cudaStream_t stream; void *workspace; size_t workspace_bytes; } the_handle;

cublasStatus_t cublasCreate_v2(cublasHandle_t *handle) { *handle = &the_handle; return OK; }
cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) { return handle == &the_handle ? OK : INVALID_VALUE; }
cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) { handle->stream = stream; return OK; }
cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace, size_t bytes) {
    handle->workspace = workspace;
    handle->workspace_bytes = bytes;
    return OK;
}
size_t fake_workspace_bytes(void) { return the_handle.workspace_bytes; }

/* Element (row, col) of op(X), X column-major with leading dimension ld. */
static float at(const float *x, cublasOperation_t op, int ld, int row, int col) {
    return op == CUBLAS_OP_N ? x[row + (long) col * ld] : x[col + (long) row * ld];
}

static cublasStatus_t gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha,
                           const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) {
            double acc = 0;
            for (int p = 0; p < k; p++) acc += (double) at(a, ta, lda, i, p) * at(b, tb, ldb, p, j);
            c[i + (long) j * ldc] = (float) (alpha * acc + beta * c[i + (long) j * ldc]);
        }
    }
    return OK;
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                            int k, const void *alpha, const void *A, cudaDataType Atype, int lda, const void *B,
                            cudaDataType Btype, int ldb, const void *beta, void *C, cudaDataType Ctype, int ldc,
                            cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
    if (handle != &the_handle || computeType != CUBLAS_COMPUTE_32F || algo != CUBLAS_GEMM_DEFAULT) return INVALID_VALUE;
    if (Atype != CUDA_R_32F || Btype != CUDA_R_32F || Ctype != CUDA_R_32F) return NOT_SUPPORTED;
    return gemm(transa, transb, m, n, k, *(const float *) alpha, A, lda, B, ldb, *(const float *) beta, C, ldc);
}

cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                          int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype,
                                          int lda, long long int strideA, const void *B, cudaDataType Btype, int ldb,
                                          long long int strideB, const void *beta, void *C, cudaDataType Ctype,
                                          int ldc, long long int strideC, int batchCount,
                                          cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
    if (handle != &the_handle || computeType != CUBLAS_COMPUTE_32F || algo != CUBLAS_GEMM_DEFAULT) return INVALID_VALUE;
    if (Atype != CUDA_R_32F || Btype != CUDA_R_32F || Ctype != CUDA_R_32F) return NOT_SUPPORTED;
    for (int i = 0; i < batchCount; i++) {
        gemm(transa, transb, m, n, k, *(const float *) alpha, (const float *) A + i * strideA, lda,
             (const float *) B + i * strideB, ldb, *(const float *) beta, (float *) C + i * strideC, ldc);
    }
    return OK;
}
