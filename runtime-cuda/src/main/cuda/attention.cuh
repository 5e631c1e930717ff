// Paged attention over block tables, with grouped-query heads (query head h reads KV head
// h / (num_heads / num_kv_heads)). A query row at position p attends to positions 0..p of its sequence,
// read through the sequence's block table (row `seq` of block_tables, table_stride entries per row).
// The K/V of every row of the step were written to the cache before these kernels run, so a prefill
// chunk sees its own earlier tokens and its cached prefix the same way.
//
// Decode (one new token per sequence): the context is split into partitions of `partition` tokens;
// thread block (entry, kv_head, split) scores its partition for all query heads of the KV group, and
// writes the partition's max, sum of exponentials and unnormalised weighted values. The reduce kernel
// combines the partitions. Splits past a sequence's context exit at once, so one launch shape (and one
// captured CUDA graph) serves every context up to num_splits * partition tokens.
//
// Prefill (several new tokens of one sequence): thread block (tile, head) takes up to tile_q consecutive
// query rows of one sequence and streams its keys and values in tiles of tile_k through shared memory,
// keeping a running (online) softmax per query row; keys past a row's own position are masked.
#pragma once
#include "common.cuh"

template <typename KV>
__device__ __forceinline__ long kv_index(const int* table, int t, int kv_head, int num_kv_heads, int block_size,
                                         int head_dim) {
    const long block = table[t / block_size];
    return ((block * num_kv_heads + kv_head) * block_size + t % block_size) * (long) head_dim;
}

// Dynamic shared memory: group * head_dim query floats, then group * partition scores.
template <typename KV>
__device__ void attention_decode(const float* qkv, int row_stride, const int* entries, const int* positions,
                                 const int* block_tables, int table_stride, const KV* layer_k, const KV* layer_v,
                                 float* part_out, float* part_max, float* part_sum, int num_heads,
                                 int num_kv_heads, int head_dim, int block_size, int partition, int num_splits,
                                 float scale) {
    extern __shared__ float smem[];
    __shared__ float scratch[32];
    const int entry = blockIdx.x;
    const int kv_head = blockIdx.y;
    const int split = blockIdx.z;
    const int row = entries[2 * entry];
    const int seq = entries[2 * entry + 1];
    const int context = positions[row] + 1;
    const int start = split * partition;
    if (start >= context) return;  // the whole block leaves together
    const int end = min(context, start + partition);
    const int n = end - start;
    const int group = num_heads / num_kv_heads;
    const int first_head = kv_head * group;
    float* q_s = smem;
    float* scores = smem + group * head_dim;
    const int* table = block_tables + (long) seq * table_stride;

    const float* q = qkv + (long) row * row_stride + (long) first_head * head_dim;
    for (int i = threadIdx.x; i < group * head_dim; i += blockDim.x) {
        q_s[i] = q[i] * scale;
    }
    __syncthreads();

    // Scores: each warp takes whole key positions; its lanes split the head dimension.
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int num_warps = blockDim.x >> 5;
    for (int t = start + warp; t < end; t += num_warps) {
        const KV* k = layer_k + kv_index<KV>(table, t, kv_head, num_kv_heads, block_size, head_dim);
        for (int h = 0; h < group; h++) {
            float dot = 0.f;
            for (int d = lane; d < head_dim; d += 32) {
                dot += q_s[h * head_dim + d] * to_float(k[d]);
            }
            dot = warp_sum(dot);
            if (lane == 0) scores[h * partition + (t - start)] = dot;
        }
    }
    __syncthreads();

    // Per head: the partition's max, exponentials in place, and their sum.
    for (int h = 0; h < group; h++) {
        float* s = scores + h * partition;
        float m = -INFINITY;
        for (int i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, s[i]);
        m = block_max(m, scratch);
        float sum = 0.f;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            const float e = expf(s[i] - m);
            s[i] = e;
            sum += e;
        }
        sum = block_sum(sum, scratch);
        if (threadIdx.x == 0) {
            const long idx = ((long) entry * num_heads + first_head + h) * num_splits + split;
            part_max[idx] = m;
            part_sum[idx] = sum;
        }
    }
    __syncthreads();

    // Unnormalised weighted values; consecutive threads read consecutive elements of a value row.
    for (int i = threadIdx.x; i < group * head_dim; i += blockDim.x) {
        const int h = i / head_dim;
        const int d = i % head_dim;
        const float* p = scores + h * partition;
        float acc = 0.f;
        for (int t = start; t < end; t++) {
            const KV* v = layer_v + kv_index<KV>(table, t, kv_head, num_kv_heads, block_size, head_dim);
            acc += p[t - start] * to_float(v[d]);
        }
        part_out[(((long) entry * num_heads + first_head + h) * num_splits + split) * head_dim + d] = acc;
    }
}

extern "C" __global__ void attention_decode_f32(const float* qkv, int row_stride, const int* entries,
        const int* positions, const int* block_tables, int table_stride, const float* layer_k,
        const float* layer_v, float* part_out, float* part_max, float* part_sum, int num_heads, int num_kv_heads,
        int head_dim, int block_size, int partition, int num_splits, float scale) {
    attention_decode(qkv, row_stride, entries, positions, block_tables, table_stride, layer_k, layer_v, part_out,
                     part_max, part_sum, num_heads, num_kv_heads, head_dim, block_size, partition, num_splits,
                     scale);
}

extern "C" __global__ void attention_decode_bf16(const float* qkv, int row_stride, const int* entries,
        const int* positions, const int* block_tables, int table_stride, const __nv_bfloat16* layer_k,
        const __nv_bfloat16* layer_v, float* part_out, float* part_max, float* part_sum, int num_heads,
        int num_kv_heads, int head_dim, int block_size, int partition, int num_splits, float scale) {
    attention_decode(qkv, row_stride, entries, positions, block_tables, table_stride, layer_k, layer_v, part_out,
                     part_max, part_sum, num_heads, num_kv_heads, head_dim, block_size, partition, num_splits,
                     scale);
}

// Combines the partitions of each (entry, head): rescales every partition to the global max and
// divides by the global sum. Thread block (entry, head); att has rows of num_heads * head_dim.
extern "C" __global__ void attention_decode_reduce(const float* part_out, const float* part_max,
        const float* part_sum, const int* entries, const int* positions, float* att, int num_heads,
        int head_dim, int partition, int num_splits) {
    const int entry = blockIdx.x;
    const int head = blockIdx.y;
    const int row = entries[2 * entry];
    const int context = positions[row] + 1;
    const int valid = min(num_splits, (context + partition - 1) / partition);
    const long base = ((long) entry * num_heads + head) * num_splits;
    float m = -INFINITY;
    for (int s = 0; s < valid; s++) m = fmaxf(m, part_max[base + s]);
    float denominator = 0.f;
    for (int s = 0; s < valid; s++) denominator += part_sum[base + s] * expf(part_max[base + s] - m);
    float* out = att + (long) row * num_heads * head_dim + (long) head * head_dim;
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float numerator = 0.f;
        for (int s = 0; s < valid; s++) {
            numerator += part_out[(base + s) * head_dim + d] * expf(part_max[base + s] - m);
        }
        out[d] = numerator / denominator;
    }
}

// Dynamic shared memory, in floats: q tile_q*head_dim, k and v tile_k*head_dim each, scores
// tile_q*tile_k, output tile_q*head_dim, and max, sum, rescale factor tile_q each.
template <typename KV>
__device__ void attention_prefill(const float* qkv, int row_stride, const int* tiles, const int* positions,
                                  const int* block_tables, int table_stride, const KV* layer_k, const KV* layer_v,
                                  float* att, int num_heads, int num_kv_heads, int head_dim, int block_size,
                                  int tile_q, int tile_k, float scale) {
    extern __shared__ float smem[];
    const int tile = blockIdx.x;
    const int head = blockIdx.y;
    const int kv_head = head / (num_heads / num_kv_heads);
    const int first_row = tiles[4 * tile];
    const int num_rows = tiles[4 * tile + 1];
    const int seq = tiles[4 * tile + 2];
    const int first_pos = positions[first_row];
    const int last_pos = first_pos + num_rows - 1;
    const int* table = block_tables + (long) seq * table_stride;

    float* q_s = smem;
    float* k_s = q_s + tile_q * head_dim;
    float* v_s = k_s + tile_k * head_dim;
    float* s_s = v_s + tile_k * head_dim;
    float* o_s = s_s + tile_q * tile_k;
    float* m_s = o_s + tile_q * head_dim;
    float* l_s = m_s + tile_q;
    float* alpha_s = l_s + tile_q;

    for (int i = threadIdx.x; i < tile_q * head_dim; i += blockDim.x) {
        const int r = i / head_dim;
        const int d = i % head_dim;
        q_s[i] = r < num_rows ? qkv[(long) (first_row + r) * row_stride + (long) head * head_dim + d] * scale : 0.f;
        o_s[i] = 0.f;
    }
    for (int r = threadIdx.x; r < tile_q; r += blockDim.x) {
        m_s[r] = -INFINITY;
        l_s[r] = 0.f;
    }
    __syncthreads();

    for (int k0 = 0; k0 <= last_pos; k0 += tile_k) {
        const int kn = min(tile_k, last_pos + 1 - k0);
        for (int i = threadIdx.x; i < tile_k * head_dim; i += blockDim.x) {
            const int j = i / head_dim;
            const int d = i % head_dim;
            if (j < kn) {
                const long at = kv_index<KV>(table, k0 + j, kv_head, num_kv_heads, block_size, head_dim) + d;
                k_s[i] = to_float(layer_k[at]);
                v_s[i] = to_float(layer_v[at]);
            } else {
                k_s[i] = 0.f;
                v_s[i] = 0.f;
            }
        }
        __syncthreads();
        for (int i = threadIdx.x; i < tile_q * tile_k; i += blockDim.x) {
            const int r = i / tile_k;
            const int j = i % tile_k;
            float score = -INFINITY;
            if (r < num_rows && j < kn && k0 + j <= first_pos + r) {
                score = 0.f;
                for (int d = 0; d < head_dim; d++) score += q_s[r * head_dim + d] * k_s[j * head_dim + d];
            }
            s_s[i] = score;
        }
        __syncthreads();
        for (int r = threadIdx.x; r < tile_q; r += blockDim.x) {
            float* s = s_s + r * tile_k;
            float m_new = m_s[r];
            for (int j = 0; j < tile_k; j++) m_new = fmaxf(m_new, s[j]);
            if (m_new == -INFINITY) {  // nothing visible yet (or a padding row of the tile)
                alpha_s[r] = 1.f;
                for (int j = 0; j < tile_k; j++) s[j] = 0.f;
                continue;
            }
            const float alpha = expf(m_s[r] - m_new);
            float sum = 0.f;
            for (int j = 0; j < tile_k; j++) {
                const float p = s[j] == -INFINITY ? 0.f : expf(s[j] - m_new);
                s[j] = p;
                sum += p;
            }
            l_s[r] = l_s[r] * alpha + sum;
            m_s[r] = m_new;
            alpha_s[r] = alpha;
        }
        __syncthreads();
        for (int i = threadIdx.x; i < tile_q * head_dim; i += blockDim.x) {
            const int r = i / head_dim;
            const int d = i % head_dim;
            float acc = o_s[i] * alpha_s[r];
            for (int j = 0; j < kn; j++) acc += s_s[r * tile_k + j] * v_s[j * head_dim + d];
            o_s[i] = acc;
        }
        __syncthreads();
    }

    for (int i = threadIdx.x; i < num_rows * head_dim; i += blockDim.x) {
        const int r = i / head_dim;
        const int d = i % head_dim;
        att[(long) (first_row + r) * num_heads * head_dim + (long) head * head_dim + d] = o_s[i] / l_s[r];
    }
}

extern "C" __global__ void attention_prefill_f32(const float* qkv, int row_stride, const int* tiles,
        const int* positions, const int* block_tables, int table_stride, const float* layer_k,
        const float* layer_v, float* att, int num_heads, int num_kv_heads, int head_dim, int block_size,
        int tile_q, int tile_k, float scale) {
    attention_prefill(qkv, row_stride, tiles, positions, block_tables, table_stride, layer_k, layer_v, att,
                      num_heads, num_kv_heads, head_dim, block_size, tile_q, tile_k, scale);
}

extern "C" __global__ void attention_prefill_bf16(const float* qkv, int row_stride, const int* tiles,
        const int* positions, const int* block_tables, int table_stride, const __nv_bfloat16* layer_k,
        const __nv_bfloat16* layer_v, float* att, int num_heads, int num_kv_heads, int head_dim, int block_size,
        int tile_q, int tile_k, float scale) {
    attention_prefill(qkv, row_stride, tiles, positions, block_tables, table_stride, layer_k, layer_v, att,
                      num_heads, num_kv_heads, head_dim, block_size, tile_q, tile_k, scale);
}
