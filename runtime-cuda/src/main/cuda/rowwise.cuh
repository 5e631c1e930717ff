// Row-wise kernels of a transformer layer: RMSNorm (plain, fused with a residual add), RoPE, SiLU*mul,
// residual and bias adds. One thread block per token row unless said otherwise.
#pragma once
#include "common.cuh"

// out[r] = x[src] / sqrt(mean(x[src]^2) + eps) * weight, where src = rows ? rows[r] : r. The optional
// row index gathers the sample rows before the final norm. The scale is computed in double from the
// float sum of squares, like the CPU reference.
extern "C" __global__ void rms_norm(const float* x, const int* rows, const float* weight, float* out, int dim,
                                    float eps) {
    __shared__ float scratch[32];
    const int row = blockIdx.x;
    const float* src = x + (long) (rows != nullptr ? rows[row] : row) * dim;
    float* dst = out + (long) row * dim;
    float sum_squares = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        sum_squares += src[i] * src[i];
    }
    sum_squares = block_sum(sum_squares, scratch);
    const float scale = (float) (1.0 / sqrt((double) sum_squares / dim + eps));
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        dst[i] = weight[i] * (scale * src[i]);
    }
}

// x[r] += delta[r]; out[r] = rms_norm(x[r]). Each thread re-reads only the elements it wrote.
extern "C" __global__ void add_rms_norm(float* x, const float* delta, const float* weight, float* out, int dim,
                                        float eps) {
    __shared__ float scratch[32];
    const long base = (long) blockIdx.x * dim;
    float sum_squares = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        const float v = x[base + i] + delta[base + i];
        x[base + i] = v;
        sum_squares += v * v;
    }
    sum_squares = block_sum(sum_squares, scratch);
    const float scale = (float) (1.0 / sqrt((double) sum_squares / dim + eps));
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        out[base + i] = weight[i] * (scale * x[base + i]);
    }
}

// x[i] += delta[i] for i < n (grid-stride).
extern "C" __global__ void residual_add(float* x, const float* delta, long n) {
    for (long i = (long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        x[i] += delta[i];
    }
}

// y[r][c] += bias[c] for every row r < num_rows of width `width` (grid-stride over all elements).
extern "C" __global__ void bias_add(float* y, const float* bias, int width, long num_rows) {
    const long n = num_rows * width;
    for (long i = (long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        y[i] += bias[i % width];
    }
}

// Rotary embedding of the query and key heads of one row of the fused QKV buffer (row stride
// `row_stride`; the num_heads query heads come first, then the num_kv_heads key heads). Pair i of a
// head turns by position * inv_freq[i] radians; the angle is rounded to float and its cosine and sine
// computed in double and rounded, as the CPU reference does. NORM pairs (2i, 2i+1); NEOX pairs
// (i, i + rope_dim / 2). Elements past rope_dim are left alone.
extern "C" __global__ void rope(float* qkv, int row_stride, const int* positions, const float* inv_freq,
                                int num_heads, int num_kv_heads, int head_dim, int rope_dim, int neox) {
    const int row = blockIdx.x;
    const float position = (float) positions[row];
    const int half = rope_dim / 2;
    const int num_pairs = (num_heads + num_kv_heads) * half;
    float* base = qkv + (long) row * row_stride;
    for (int p = threadIdx.x; p < num_pairs; p += blockDim.x) {
        const int head = p / half;
        const int i = p % half;
        const float angle = position * inv_freq[i];
        const float c = (float) cos((double) angle);
        const float s = (float) sin((double) angle);
        float* h = base + (long) head * head_dim;
        const int a = neox ? i : 2 * i;
        const int b = neox ? i + half : 2 * i + 1;
        const float xa = h[a];
        const float xb = h[b];
        h[a] = xa * c - xb * s;
        h[b] = xb * c + xa * s;
    }
}

// out[r][i] = silu(gu[r][i]) * gu[r][ffn + i], where the fused gate|up buffer has rows of 2 * ffn.
// silu(g) = g / (1 + exp(-g)), the exponential in double like the CPU reference.
extern "C" __global__ void silu_mul(const float* gate_up, float* out, int ffn, long num_rows) {
    const long n = num_rows * ffn;
    for (long e = (long) blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long) gridDim.x * blockDim.x) {
        const long row = e / ffn;
        const int i = (int) (e % ffn);
        const float g = gate_up[row * 2 * ffn + i];
        const float u = gate_up[row * 2 * ffn + ffn + i];
        out[e] = (float) (g / (1.0 + exp(-(double) g))) * u;
    }
}
