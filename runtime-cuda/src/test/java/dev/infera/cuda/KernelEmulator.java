package dev.infera.cuda;

import dev.infera.core.quant.HalfFloats;
import dev.infera.cuda.driver.Cublas;
import dev.infera.cuda.plan.Kernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A Java port of every kernel in {@code src/main/cuda}, reading its parameters in the order and with
 * the C types of the kernel's signature, and covering exactly the work its grid covers (a row a grid
 * leaves out stays unwritten). Thread-level parallelism becomes loops; reductions run in the same
 * float arithmetic, not necessarily the same order. It also checks what the real launch would need:
 * enough dynamic shared memory, block sizes the kernel's reductions assume, at most
 * {@code MATVEC_MAX_TOKENS} rows per matvec.
 */
final class KernelEmulator {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT;
    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;

    private final EmulatedGpu gpu;

    KernelEmulator(EmulatedGpu gpu) {
        this.gpu = gpu;
    }

    /** Parameters of each kernel's C signature. */
    static int parameterCount(Kernel k) {
        return switch (k) {
            case EMBED_F32, EMBED_F16, EMBED_BF16, BIAS_ADD, SILU_MUL -> 4;
            case EMBED_Q8_0, EMBED_Q4_0 -> 5;
            case RMS_NORM, ADD_RMS_NORM, MATVEC_F32, MATVEC_F16, MATVEC_BF16, DEQUANT_Q8_0_BF16, DEQUANT_Q4_0_BF16 -> 6;
            case RESIDUAL_ADD, CONVERT_F32_BF16, CONVERT_F32_F16, ARGMAX_ROWS -> 3;
            case ROPE -> 9;
            case KV_WRITE_F32, KV_WRITE_BF16, ATTENTION_DECODE_REDUCE -> 10;
            case ATTENTION_DECODE_F32, ATTENTION_DECODE_BF16 -> 18;
            case ATTENTION_PREFILL_F32, ATTENTION_PREFILL_BF16 -> 16;
            case MATVEC_Q8_0, MATVEC_Q4_0 -> 7;
        };
    }

    private MemorySegment mem(long pointer) {
        return gpu.view(pointer);
    }

    private static int i32(long raw) {
        return (int) raw;
    }

    private static float f32(long raw) {
        return Float.intBitsToFloat((int) raw);
    }

    private static float bf16(MemorySegment m, long index) {
        return HalfFloats.bf16ToFloat(m.getAtIndex(S, index));
    }

    private static float f16(MemorySegment m, long index) {
        return HalfFloats.f16ToFloat(m.getAtIndex(S, index));
    }

    /** Reads element {@code index} of a KV cache of F32 ({@code bf16 == false}) or BF16. */
    private static float kv(MemorySegment m, long index, boolean bf16) {
        return bf16 ? bf16(m, index) : m.getAtIndex(F, index);
    }

    void run(Kernel k, int gx, int gy, int gz, int threads, int shared, long[] p) {
        switch (k) {
            case EMBED_F32, EMBED_F16, EMBED_BF16 -> embedDense(k, gx, p);
            case EMBED_Q8_0, EMBED_Q4_0 -> embedQuant(k == Kernel.EMBED_Q4_0, gx, p);
            case RMS_NORM -> rmsNorm(gx, p);
            case ADD_RMS_NORM -> addRmsNorm(gx, p);
            case RESIDUAL_ADD -> {
                MemorySegment x = mem(p[0]);
                MemorySegment d = mem(p[1]);
                for (long i = 0; i < p[2]; i++) {
                    x.setAtIndex(F, i, x.getAtIndex(F, i) + d.getAtIndex(F, i));
                }
            }
            case BIAS_ADD -> {
                MemorySegment y = mem(p[0]);
                MemorySegment bias = mem(p[1]);
                int width = i32(p[2]);
                for (long i = 0; i < p[3] * width; i++) {
                    y.setAtIndex(F, i, y.getAtIndex(F, i) + bias.getAtIndex(F, i % width));
                }
            }
            case ROPE -> rope(gx, p);
            case SILU_MUL -> {
                MemorySegment gu = mem(p[0]);
                MemorySegment out = mem(p[1]);
                int ffn = i32(p[2]);
                for (long e = 0; e < p[3] * ffn; e++) {
                    long row = e / ffn;
                    int i = (int) (e % ffn);
                    float g = gu.getAtIndex(F, row * 2 * ffn + i);
                    float u = gu.getAtIndex(F, row * 2 * ffn + ffn + i);
                    out.setAtIndex(F, e, (float) (g / (1.0 + Math.exp(-(double) g))) * u);
                }
            }
            case KV_WRITE_F32, KV_WRITE_BF16 -> kvWrite(k == Kernel.KV_WRITE_BF16, gx, p);
            case ATTENTION_DECODE_F32, ATTENTION_DECODE_BF16 ->
                    AttentionEmulator.decode(this::mem, k == Kernel.ATTENTION_DECODE_BF16, gx, gy, gz, threads, shared, p);
            case ATTENTION_DECODE_REDUCE -> AttentionEmulator.reduce(this::mem, gx, gy, p);
            case ATTENTION_PREFILL_F32, ATTENTION_PREFILL_BF16 ->
                    AttentionEmulator.prefill(this::mem, k == Kernel.ATTENTION_PREFILL_BF16, gx, gy, shared, p);
            case MATVEC_F32, MATVEC_F16, MATVEC_BF16, MATVEC_Q8_0, MATVEC_Q4_0 -> matvec(k, gx, threads, p);
            case DEQUANT_Q8_0_BF16, DEQUANT_Q4_0_BF16 -> dequant(k == Kernel.DEQUANT_Q4_0_BF16, p);
            case CONVERT_F32_BF16, CONVERT_F32_F16 -> {
                MemorySegment in = mem(p[0]);
                MemorySegment out = mem(p[1]);
                for (long i = 0; i < p[2]; i++) {
                    float v = in.getAtIndex(F, i);
                    out.setAtIndex(S, i, k == Kernel.CONVERT_F32_BF16 ? HalfFloats.floatToBf16(v) : HalfFloats.floatToF16(v));
                }
            }
            case ARGMAX_ROWS -> argmax(gx, threads, p);
        }
    }

    private void embedDense(Kernel k, int rows, long[] p) {
        MemorySegment table = mem(p[0]);
        MemorySegment tokens = mem(p[1]);
        MemorySegment out = mem(p[2]);
        int dim = i32(p[3]);
        for (int row = 0; row < rows; row++) {
            long base = (long) tokens.getAtIndex(I, row) * dim;
            for (int i = 0; i < dim; i++) {
                float v = switch (k) {
                    case EMBED_F32 -> table.getAtIndex(F, base + i);
                    case EMBED_F16 -> f16(table, base + i);
                    default -> bf16(table, base + i);
                };
                out.setAtIndex(F, (long) row * dim + i, v);
            }
        }
    }

    /** Element {@code i} of row {@code row} of a split-layout quantized matrix. */
    private static float quant(boolean q4, MemorySegment quants, MemorySegment scales, long row, int cols, long i) {
        float d = f16(scales, row * (cols / 32) + i / 32);
        int q;
        if (q4) {
            int j = (int) (i % 32);
            int b = quants.get(B, row * (cols / 2) + (i / 32) * 16 + (j & 15)) & 0xFF;
            q = (j < 16 ? b & 0x0F : b >>> 4) - 8;
        } else {
            q = quants.get(B, row * cols + i);
        }
        return q * d;
    }

    private void embedQuant(boolean q4, int rows, long[] p) {
        MemorySegment quants = mem(p[0]);
        MemorySegment scales = mem(p[1]);
        MemorySegment tokens = mem(p[2]);
        MemorySegment out = mem(p[3]);
        int dim = i32(p[4]);
        for (int row = 0; row < rows; row++) {
            long token = tokens.getAtIndex(I, row);
            for (int i = 0; i < dim; i++) {
                out.setAtIndex(F, (long) row * dim + i, quant(q4, quants, scales, token, dim, i));
            }
        }
    }

    private void rmsNorm(int rows, long[] p) {
        MemorySegment x = mem(p[0]);
        MemorySegment index = p[1] == 0 ? null : mem(p[1]);
        MemorySegment w = mem(p[2]);
        MemorySegment out = mem(p[3]);
        int dim = i32(p[4]);
        float eps = f32(p[5]);
        for (int row = 0; row < rows; row++) {
            long src = (long) (index != null ? index.getAtIndex(I, row) : row) * dim;
            float ss = 0;
            for (int i = 0; i < dim; i++) {
                float v = x.getAtIndex(F, src + i);
                ss += v * v;
            }
            float scale = (float) (1.0 / Math.sqrt((double) ss / dim + eps));
            for (int i = 0; i < dim; i++) {
                out.setAtIndex(F, (long) row * dim + i, w.getAtIndex(F, i) * (scale * x.getAtIndex(F, src + i)));
            }
        }
    }

    private void addRmsNorm(int rows, long[] p) {
        MemorySegment x = mem(p[0]);
        MemorySegment delta = mem(p[1]);
        MemorySegment w = mem(p[2]);
        MemorySegment out = mem(p[3]);
        int dim = i32(p[4]);
        float eps = f32(p[5]);
        for (int row = 0; row < rows; row++) {
            long base = (long) row * dim;
            float ss = 0;
            for (int i = 0; i < dim; i++) {
                float v = x.getAtIndex(F, base + i) + delta.getAtIndex(F, base + i);
                x.setAtIndex(F, base + i, v);
                ss += v * v;
            }
            float scale = (float) (1.0 / Math.sqrt((double) ss / dim + eps));
            for (int i = 0; i < dim; i++) {
                out.setAtIndex(F, base + i, w.getAtIndex(F, i) * (scale * x.getAtIndex(F, base + i)));
            }
        }
    }

    private void rope(int rows, long[] p) {
        MemorySegment qkv = mem(p[0]);
        int stride = i32(p[1]);
        MemorySegment positions = mem(p[2]);
        MemorySegment inv = mem(p[3]);
        int heads = i32(p[4]) + i32(p[5]);
        int headDim = i32(p[6]);
        int half = i32(p[7]) / 2;
        boolean neox = i32(p[8]) != 0;
        for (int row = 0; row < rows; row++) {
            float position = positions.getAtIndex(I, row);
            for (int h = 0; h < heads; h++) {
                long base = (long) row * stride + (long) h * headDim;
                for (int i = 0; i < half; i++) {
                    float angle = position * inv.getAtIndex(F, i);
                    float c = (float) Math.cos(angle);
                    float s = (float) Math.sin(angle);
                    long a = base + (neox ? i : 2 * i);
                    long b = base + (neox ? i + half : 2 * i + 1);
                    float xa = qkv.getAtIndex(F, a);
                    float xb = qkv.getAtIndex(F, b);
                    qkv.setAtIndex(F, a, xa * c - xb * s);
                    qkv.setAtIndex(F, b, xb * c + xa * s);
                }
            }
        }
    }

    private void kvWrite(boolean bf16, int rows, long[] p) {
        MemorySegment qkv = mem(p[0]);
        int stride = i32(p[1]);
        int kOffset = i32(p[2]);
        int vOffset = i32(p[3]);
        MemorySegment slots = mem(p[4]);
        MemorySegment keys = mem(p[5]);
        MemorySegment values = mem(p[6]);
        int kvHeads = i32(p[7]);
        int headDim = i32(p[8]);
        int blockSize = i32(p[9]);
        for (int row = 0; row < rows; row++) {
            int slot = slots.getAtIndex(I, row);
            if (slot < 0) {
                continue;
            }
            long block = slot / blockSize;
            int offset = slot % blockSize;
            for (int e = 0; e < kvHeads * headDim; e++) {
                long dst = ((block * kvHeads + e / headDim) * blockSize + offset) * headDim + e % headDim;
                float k = qkv.getAtIndex(F, (long) row * stride + kOffset + e);
                float v = qkv.getAtIndex(F, (long) row * stride + vOffset + e);
                if (bf16) {
                    keys.setAtIndex(S, dst, HalfFloats.floatToBf16(k));
                    values.setAtIndex(S, dst, HalfFloats.floatToBf16(v));
                } else {
                    keys.setAtIndex(F, dst, k);
                    values.setAtIndex(F, dst, v);
                }
            }
        }
    }

    private void matvec(Kernel k, int blocks, int threads, long[] p) {
        boolean quantized = k == Kernel.MATVEC_Q8_0 || k == Kernel.MATVEC_Q4_0;
        int at = quantized ? 2 : 1;
        MemorySegment w = mem(p[0]);
        MemorySegment scales = quantized ? mem(p[1]) : null;
        MemorySegment x = mem(p[at]);
        MemorySegment y = mem(p[at + 1]);
        int rows = i32(p[at + 2]);
        int cols = i32(p[at + 3]);
        int tokens = i32(p[at + 4]);
        if (tokens < 1 || tokens > 8 || threads % 32 != 0) {
            throw new IllegalStateException(k + " launched for " + tokens + " tokens with " + threads + " threads");
        }
        int warps = threads / 32;
        float[] xs = new float[tokens * cols];
        MemorySegment.copy(x, F, 0, xs, 0, xs.length);
        float[] wv = new float[cols];
        for (long row = 0; row < Math.min(rows, (long) blocks * warps); row++) {
            for (int c = 0; c < cols; c++) {
                wv[c] = switch (k) {
                    case MATVEC_F32 -> w.getAtIndex(F, row * cols + c);
                    case MATVEC_F16 -> f16(w, row * cols + c);
                    case MATVEC_BF16 -> bf16(w, row * cols + c);
                    default -> quant(k == Kernel.MATVEC_Q4_0, w, scales, row, cols, c);
                };
            }
            for (int b = 0; b < tokens; b++) {
                float acc = 0;
                for (int c = 0; c < cols; c++) {
                    acc += wv[c] * xs[b * cols + c];
                }
                y.setAtIndex(F, (long) b * rows + row, acc);
            }
        }
    }

    private void dequant(boolean q4, long[] p) {
        MemorySegment quants = mem(p[0]);
        MemorySegment scales = mem(p[1]);
        MemorySegment out = mem(p[2]);
        long first = p[3];
        int rows = i32(p[4]);
        int cols = i32(p[5]);
        for (long e = 0; e < (long) rows * cols; e++) {
            out.setAtIndex(S, e, HalfFloats.floatToBf16(quant(q4, quants, scales, first + e / cols, cols, e % cols)));
        }
    }

    private void argmax(int rows, int threads, long[] p) {
        if (threads > 256 || Integer.bitCount(threads) != 1) {
            throw new IllegalStateException("argmax_rows needs a power-of-two block of at most 256 threads, got " + threads);
        }
        MemorySegment logits = mem(p[0]);
        int vocab = i32(p[1]);
        MemorySegment out = mem(p[2]);
        for (int row = 0; row < rows; row++) {
            int best = 0;
            for (int t = 1; t < vocab; t++) {
                if (logits.getAtIndex(F, (long) row * vocab + t) > logits.getAtIndex(F, (long) row * vocab + best)) {
                    best = t;
                }
            }
            out.setAtIndex(I, row, best);
        }
    }

    /** cuBLAS {@code C = A^T B} (alpha 1, beta 0), column-major, F32 output. */
    void gemm(int m, int n, int k, long a, int aType, int lda, long b, int bType, int ldb, long c, int ldc) {
        float[] at = columns(mem(a), aType, m, k, lda);
        float[] bt = columns(mem(b), bType, n, k, ldb);
        MemorySegment cm = mem(c);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double acc = 0;
                for (int q = 0; q < k; q++) {
                    acc += (double) at[i * k + q] * bt[j * k + q];
                }
                cm.setAtIndex(F, i + (long) j * ldc, (float) acc);
            }
        }
    }

    /** The first {@code k} elements of each of {@code count} columns {@code ld} apart, as floats. */
    private static float[] columns(MemorySegment m, int type, int count, int k, int ld) {
        float[] out = new float[count * k];
        for (int col = 0; col < count; col++) {
            for (int q = 0; q < k; q++) {
                out[col * k + q] = element(m, type, q + (long) col * ld);
            }
        }
        return out;
    }

    private static float element(MemorySegment m, int type, long index) {
        return switch (type) {
            case Cublas.CUDA_R_32F -> m.getAtIndex(F, index);
            case Cublas.CUDA_R_16F -> f16(m, index);
            case Cublas.CUDA_R_16BF -> bf16(m, index);
            default -> throw new IllegalArgumentException("GEMM type " + type);
        };
    }

    static float kvElement(MemorySegment m, long index, boolean bf16) {
        return kv(m, index, bf16);
    }
}
