// Greedy sampling on the device: the index of the largest logit of each row (the lowest index wins a
// tie, as on the host), one thread block per row. NaN logits are never chosen.
#pragma once
#include "common.cuh"

#define ARGMAX_THREADS 256

extern "C" __global__ void argmax_rows(const float* logits, int vocab, int* out) {
    __shared__ float best_value[ARGMAX_THREADS];
    __shared__ int best_index[ARGMAX_THREADS];
    const float* row = logits + (long) blockIdx.x * vocab;
    float value = -INFINITY;
    int index = vocab;  // "none yet": loses every comparison below
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        const float v = row[i];
        if (v > value || (index == vocab && v == v)) {
            value = v;
            index = i;
        }
    }
    best_value[threadIdx.x] = value;
    best_index[threadIdx.x] = index;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) {
            const float other = best_value[threadIdx.x + stride];
            const int other_index = best_index[threadIdx.x + stride];
            if (other > best_value[threadIdx.x]
                    || (other == best_value[threadIdx.x] && other_index < best_index[threadIdx.x])) {
                best_value[threadIdx.x] = other;
                best_index[threadIdx.x] = other_index;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = best_index[0] < vocab ? best_index[0] : 0;
}
