// Shared helpers of the Infera CUDA kernels: element conversions, warp and block reductions, and the
// device layouts of quantized weights.
//
// Conventions used by every kernel:
//  * Activations are F32, row-major: row r of a buffer of width w is [r * w, (r + 1) * w).
//  * Every kernel is extern "C" so the Java side finds it by its plain name (see Kernel.java).
//  * Quantized matrices use a "split" layout made on upload: all quants first (Q8_0: one int8 per
//    element; Q4_0: 16 bytes per block of 32, element j in the low nibble of byte j and element j + 16
//    in the high nibble), then one F16 scale per block of 32. Row r, block b has scale index
//    r * (cols / 32) + b. Quants of a row start at a 16-byte multiple, so rows load as uint4.
//  * The paged KV cache is [layer][K, V][block][kvHead][offsetInBlock][headDim], like the CPU cache,
//    with F32 or BF16 elements.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#define INFERA_QK 32           // elements per Q8_0 / Q4_0 block
#define INFERA_Q4_BLOCK_BYTES 16

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }

template <typename T> __device__ __forceinline__ T from_float(float v);
template <> __device__ __forceinline__ float from_float<float>(float v) { return v; }
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <> __device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    }
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    }
    return v;
}

// Sum over the whole thread block; every thread gets the result. `scratch` holds 32 floats in shared
// memory and may be reused once the call returns (it ends with a barrier).
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int num_warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float total = lane < num_warps ? scratch[lane] : 0.f;
    total = warp_sum(total);
    __syncthreads();
    return total;
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int num_warps = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float total = lane < num_warps ? scratch[lane] : -INFINITY;
    total = warp_max(total);
    __syncthreads();
    return total;
}

// Element i of a Q4_0 row in the split layout, as the signed quant (-8..7).
__device__ __forceinline__ int q4_0_quant(const uint8_t* row_quants, long i) {
    const long block = i / INFERA_QK;
    const int j = (int) (i % INFERA_QK);
    const uint8_t byte = row_quants[block * INFERA_Q4_BLOCK_BYTES + (j & 15)];
    return (j < 16 ? (byte & 0x0F) : (byte >> 4)) - 8;
}
