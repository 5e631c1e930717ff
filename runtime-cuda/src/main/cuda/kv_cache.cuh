// KV write: stores each token row's keys and values (after RoPE) into its slot of one layer of the
// paged cache. Slot s is offset s % block_size of block s / block_size; a negative slot marks a padding
// row of a replayed CUDA graph, which writes nothing. One thread block per token row.
#pragma once
#include "common.cuh"

template <typename KV>
__device__ void kv_write(const float* qkv, int row_stride, int k_offset, int v_offset, const int* slots,
                         KV* layer_k, KV* layer_v, int num_kv_heads, int head_dim, int block_size) {
    const int row = blockIdx.x;
    const int slot = slots[row];
    if (slot < 0) return;
    const long block = slot / block_size;
    const int offset = slot % block_size;
    const float* src = qkv + (long) row * row_stride;
    const int kv_dim = num_kv_heads * head_dim;
    for (int e = threadIdx.x; e < kv_dim; e += blockDim.x) {
        const int head = e / head_dim;
        const int d = e % head_dim;
        const long dst = ((block * num_kv_heads + head) * block_size + offset) * (long) head_dim + d;
        layer_k[dst] = from_float<KV>(src[k_offset + e]);
        layer_v[dst] = from_float<KV>(src[v_offset + e]);
    }
}

extern "C" __global__ void kv_write_f32(const float* qkv, int row_stride, int k_offset, int v_offset,
                                        const int* slots, float* layer_k, float* layer_v, int num_kv_heads,
                                        int head_dim, int block_size) {
    kv_write(qkv, row_stride, k_offset, v_offset, slots, layer_k, layer_v, num_kv_heads, head_dim, block_size);
}

extern "C" __global__ void kv_write_bf16(const float* qkv, int row_stride, int k_offset, int v_offset,
                                         const int* slots, __nv_bfloat16* layer_k, __nv_bfloat16* layer_v,
                                         int num_kv_heads, int head_dim, int block_size) {
    kv_write(qkv, row_stride, k_offset, v_offset, slots, layer_k, layer_v, num_kv_heads, head_dim, block_size);
}
