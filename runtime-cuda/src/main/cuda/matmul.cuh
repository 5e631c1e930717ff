// Matrix kernels. A weight matrix has `rows` output features of `cols` inputs, row-major in its device
// format; activations x are num_tokens x cols and outputs y num_tokens x rows, both F32 and dense.
//
// Small batches (num_tokens <= MATVEC_MAX_TOKENS) use matvec_*: one warp per output feature streams
// the weight row once and multiplies it with every token's activations, so the weights are read once
// per step whatever the batch. Each lane takes chunks of 8 consecutive elements (16-byte loads for
// F16/BF16, 8-byte loads for the quants), so a warp reads a contiguous stretch of the row. The sum for
// one output depends only on its own token's activations, never on the other tokens in the batch.
//
// Larger batches go through cuBLAS (BF16/F16 inputs, F32 accumulation): dequant_*_bf16 expands a row
// range of a quantized matrix into BF16, and convert_f32_* turns activations into the GEMM input type.
#pragma once
#include "common.cuh"

#define MATVEC_MAX_TOKENS 8

enum WeightFormat { FMT_F32 = 0, FMT_F16 = 1, FMT_BF16 = 2, FMT_Q8_0 = 3, FMT_Q4_0 = 4 };

// Elements e..e+7 of weight row `row` (e a multiple of 8) as floats.
template <int FMT>
__device__ __forceinline__ void load8(const void* w, const __half* scales, long row, int cols, long e, float out[8]) {
    if (FMT == FMT_F32) {
        const float4* p = reinterpret_cast<const float4*>(static_cast<const float*>(w) + row * cols + e);
        const float4 a = p[0];
        const float4 b = p[1];
        out[0] = a.x; out[1] = a.y; out[2] = a.z; out[3] = a.w;
        out[4] = b.x; out[5] = b.y; out[6] = b.z; out[7] = b.w;
    } else if (FMT == FMT_F16) {
        const uint4 raw = *reinterpret_cast<const uint4*>(static_cast<const __half*>(w) + row * cols + e);
        const __half2* h = reinterpret_cast<const __half2*>(&raw);
#pragma unroll
        for (int k = 0; k < 4; k++) {
            const float2 f = __half22float2(h[k]);
            out[2 * k] = f.x;
            out[2 * k + 1] = f.y;
        }
    } else if (FMT == FMT_BF16) {
        const uint4 raw = *reinterpret_cast<const uint4*>(static_cast<const __nv_bfloat16*>(w) + row * cols + e);
        const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
        for (int k = 0; k < 4; k++) {
            const float2 f = __bfloat1622float2(h[k]);
            out[2 * k] = f.x;
            out[2 * k + 1] = f.y;
        }
    } else if (FMT == FMT_Q8_0) {
        const uint2 raw = *reinterpret_cast<const uint2*>(static_cast<const int8_t*>(w) + row * cols + e);
        const int8_t* q = reinterpret_cast<const int8_t*>(&raw);
        const float d = __half2float(scales[row * (cols / INFERA_QK) + e / INFERA_QK]);
#pragma unroll
        for (int k = 0; k < 8; k++) out[k] = (float) q[k] * d;
    } else {  // FMT_Q4_0: 8 elements of one half of a block share 8 bytes (low or high nibbles)
        const int j = (int) (e % INFERA_QK);
        const uint8_t* row_quants = static_cast<const uint8_t*>(w) + row * (cols / 2);
        const uint2 raw = *reinterpret_cast<const uint2*>(row_quants + (e / INFERA_QK) * INFERA_Q4_BLOCK_BYTES + (j & 15));
        const uint8_t* q = reinterpret_cast<const uint8_t*>(&raw);
        const float d = __half2float(scales[row * (cols / INFERA_QK) + e / INFERA_QK]);
        const bool high = j >= 16;
#pragma unroll
        for (int k = 0; k < 8; k++) out[k] = (float) ((high ? (q[k] >> 4) : (q[k] & 0x0F)) - 8) * d;
    }
}

// Element e of weight row `row` (used only for dense rows whose length is not a multiple of 8).
template <int FMT>
__device__ __forceinline__ float load1(const void* w, long row, int cols, long e) {
    if (FMT == FMT_F32) return static_cast<const float*>(w)[row * cols + e];
    if (FMT == FMT_F16) return __half2float(static_cast<const __half*>(w)[row * cols + e]);
    return __bfloat162float(static_cast<const __nv_bfloat16*>(w)[row * cols + e]);
}

template <int FMT>
__device__ void matvec(const void* w, const __half* scales, const float* x, float* y, int rows, int cols,
                       int num_tokens) {
    const int lane = threadIdx.x & 31;
    const long row = (long) blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (row >= rows) return;
    float acc[MATVEC_MAX_TOKENS];
#pragma unroll
    for (int b = 0; b < MATVEC_MAX_TOKENS; b++) acc[b] = 0.f;
    if (cols % 8 == 0) {
        // Unrolled so each lane has several independent 8-element loads in flight (the loop is memory bound).
#pragma unroll 4
        for (long e = lane * 8L; e < cols; e += 32 * 8) {
            float wv[8];
            load8<FMT>(w, scales, row, cols, e, wv);
#pragma unroll
            for (int b = 0; b < MATVEC_MAX_TOKENS; b++) {
                if (b < num_tokens) {
                    const float4* xp = reinterpret_cast<const float4*>(x + (long) b * cols + e);
                    const float4 x0 = xp[0];
                    const float4 x1 = xp[1];
                    acc[b] += wv[0] * x0.x + wv[1] * x0.y + wv[2] * x0.z + wv[3] * x0.w
                            + wv[4] * x1.x + wv[5] * x1.y + wv[6] * x1.z + wv[7] * x1.w;
                }
            }
        }
    } else if (FMT == FMT_F32 || FMT == FMT_F16 || FMT == FMT_BF16) {
        for (long e = lane; e < cols; e += 32) {
            const float wv = load1<FMT>(w, row, cols, e);
#pragma unroll
            for (int b = 0; b < MATVEC_MAX_TOKENS; b++) {
                if (b < num_tokens) acc[b] += wv * x[(long) b * cols + e];
            }
        }
    }
#pragma unroll
    for (int b = 0; b < MATVEC_MAX_TOKENS; b++) {
        if (b < num_tokens) {
            const float sum = warp_sum(acc[b]);
            if (lane == 0) y[(long) b * rows + row] = sum;
        }
    }
}

extern "C" __global__ void matvec_f32(const float* w, const float* x, float* y, int rows, int cols, int num_tokens) {
    matvec<FMT_F32>(w, nullptr, x, y, rows, cols, num_tokens);
}

extern "C" __global__ void matvec_f16(const __half* w, const float* x, float* y, int rows, int cols, int num_tokens) {
    matvec<FMT_F16>(w, nullptr, x, y, rows, cols, num_tokens);
}

extern "C" __global__ void matvec_bf16(const __nv_bfloat16* w, const float* x, float* y, int rows, int cols,
                                       int num_tokens) {
    matvec<FMT_BF16>(w, nullptr, x, y, rows, cols, num_tokens);
}

extern "C" __global__ void matvec_q8_0(const int8_t* quants, const __half* scales, const float* x, float* y,
                                       int rows, int cols, int num_tokens) {
    matvec<FMT_Q8_0>(quants, scales, x, y, rows, cols, num_tokens);
}

extern "C" __global__ void matvec_q4_0(const uint8_t* quants, const __half* scales, const float* x, float* y,
                                       int rows, int cols, int num_tokens) {
    matvec<FMT_Q4_0>(quants, scales, x, y, rows, cols, num_tokens);
}

// out = rows first_row .. first_row + num_rows - 1 of a quantized matrix, as BF16 (grid-stride).
extern "C" __global__ void dequant_q8_0_bf16(const int8_t* quants, const __half* scales, __nv_bfloat16* out,
                                             long first_row, int num_rows, int cols) {
    const long n = (long) num_rows * cols;
    for (long e = (long) blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long) gridDim.x * blockDim.x) {
        const long row = first_row + e / cols;
        const int c = (int) (e % cols);
        const float d = __half2float(scales[row * (cols / INFERA_QK) + c / INFERA_QK]);
        out[e] = __float2bfloat16_rn((float) quants[row * cols + c] * d);
    }
}

extern "C" __global__ void dequant_q4_0_bf16(const uint8_t* quants, const __half* scales, __nv_bfloat16* out,
                                             long first_row, int num_rows, int cols) {
    const long n = (long) num_rows * cols;
    for (long e = (long) blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long) gridDim.x * blockDim.x) {
        const long row = first_row + e / cols;
        const int c = (int) (e % cols);
        const float d = __half2float(scales[row * (cols / INFERA_QK) + c / INFERA_QK]);
        out[e] = __float2bfloat16_rn((float) q4_0_quant(quants + row * (cols / 2), c) * d);
    }
}

extern "C" __global__ void convert_f32_bf16(const float* in, __nv_bfloat16* out, long n) {
    for (long i = (long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        out[i] = __float2bfloat16_rn(in[i]);
    }
}

extern "C" __global__ void convert_f32_f16(const float* in, __half* out, long n) {
    for (long i = (long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        out[i] = __float2half_rn(in[i]);
    }
}
