// Embedding gather: out[row] = table[tokens[row]] as F32, one thread block per token row.
// The table is [vocab][dim] in the weight's device format (dense, or split-layout Q8_0 / Q4_0).
#pragma once
#include "common.cuh"

template <typename T>
__device__ void embed_dense(const T* table, const int* tokens, float* out, int dim) {
    const int row = blockIdx.x;
    const T* src = table + (long) tokens[row] * dim;
    float* dst = out + (long) row * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        dst[i] = to_float(src[i]);
    }
}

extern "C" __global__ void embed_f32(const float* table, const int* tokens, float* out, int dim) {
    embed_dense(table, tokens, out, dim);
}

extern "C" __global__ void embed_f16(const __half* table, const int* tokens, float* out, int dim) {
    embed_dense(table, tokens, out, dim);
}

extern "C" __global__ void embed_bf16(const __nv_bfloat16* table, const int* tokens, float* out, int dim) {
    embed_dense(table, tokens, out, dim);
}

// value = quant * scale, in F32, exactly as the reference dequantization computes it.
extern "C" __global__ void embed_q8_0(const int8_t* quants, const __half* scales, const int* tokens, float* out,
                                      int dim) {
    const int row = blockIdx.x;
    const long token = tokens[row];
    const int8_t* q = quants + token * dim;
    const __half* s = scales + token * (dim / INFERA_QK);
    float* dst = out + (long) row * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        dst[i] = (float) q[i] * __half2float(s[i / INFERA_QK]);
    }
}

extern "C" __global__ void embed_q4_0(const uint8_t* quants, const __half* scales, const int* tokens, float* out,
                                      int dim) {
    const int row = blockIdx.x;
    const long token = tokens[row];
    const uint8_t* q = quants + token * (dim / 2);
    const __half* s = scales + token * (dim / INFERA_QK);
    float* dst = out + (long) row * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        dst[i] = (float) q4_0_quant(q, i) * __half2float(s[i / INFERA_QK]);
    }
}
