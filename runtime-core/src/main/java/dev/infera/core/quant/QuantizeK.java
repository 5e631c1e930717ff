package dev.infera.core.quant;

import static dev.infera.core.quant.BlockBytes.SHORT_LE;
import static dev.infera.core.quant.BlockBytes.putF16;
import static dev.infera.core.quant.BlockBytes.putU8;

import java.lang.foreign.MemorySegment;

/**
 * Reference encoders for the 256-element "K" super-block types Q4_K, Q5_K and Q6_K (layouts in
 * {@link DequantizeK}). Each sub-block first gets a least-squares scale (and, for Q4_K/Q5_K, a
 * minimum) found by trying a small set of candidate scales; the sub-block scales are then themselves
 * quantized to 6 or 8 bits against one f16 super-block scale, and the elements are re-rounded
 * against the scales as stored. All of it in float, in GGML's operation order.
 */
final class QuantizeK {

    private static final float GROUP_MAX_EPS = 1e-15f;

    private QuantizeK() {
    }

    /** GGML's nearest_int: round to nearest even through the float adder (exact for |v| < 2^22). */
    static int nearestInt(float v) {
        int bits = Float.floatToRawIntBits(v + 12582912.0f);
        return (bits & 0x007FFFFF) - 0x00400000;
    }

    static void q4K(float[] x, int in, MemorySegment y, long at) {
        minScaleBlock(x, in, y, at, 15, -1.0f, 0.1f, 20);
    }

    static void q5K(float[] x, int in, MemorySegment y, long at) {
        minScaleBlock(x, in, y, at, 31, -0.5f, 0.1f, 15);
    }

    /** Q4_K ({@code nmax} 15) and Q5_K ({@code nmax} 31): eight sub-blocks of 32 with scale and min. */
    private static void minScaleBlock(float[] x, int in, MemorySegment y, long at,
            int nmax, float rmin, float rdelta, int nstep) {
        int[] levels = new int[256];
        int[] aux = new int[32];
        float[] weights = new float[32];
        float[] mins = new float[8];
        float[] scales = new float[8];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int off = in + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[off + l] * x[off + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[off + l]);
            }
            scales[j] = LeastSquares.scaleAndMin(32, nmax, x, off, weights, levels, 32 * j, mins, j, aux,
                    rmin, rdelta, nstep);
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
        float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
        long sc = at + 4;
        for (int j = 0; j < 12; j++) {
            putU8(y, sc + j, 0);
        }
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                putU8(y, sc + j, ls);
                putU8(y, sc + j + 4, lm);
            } else {
                putU8(y, sc + j + 4, (ls & 0x0F) | ((lm & 0x0F) << 4));
                putU8(y, sc + j - 4, BlockBytes.u8(y, sc + j - 4) | ((ls >>> 4) << 6));
                putU8(y, sc + j, BlockBytes.u8(y, sc + j) | ((lm >>> 4) << 6));
            }
        }
        putF16(y, at, maxScale / 63.0f);
        putF16(y, at + 2, maxMin / 63.0f);
        float dAll = Float.float16ToFloat(y.get(SHORT_LE, at));
        float mAll = Float.float16ToFloat(y.get(SHORT_LE, at + 2));
        for (int j = 0; j < 8; j++) {
            int sm = DequantizeK.scaleMinK4(y, sc, j);
            float d = dAll * (sm & 0xFF);
            if (d == 0f) {
                continue;
            }
            float dm = mAll * (sm >>> 8);
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[in + 32 * j + ii] + dm) / d);
                levels[32 * j + ii] = Math.max(0, Math.min(nmax, l));
            }
        }
        if (nmax == 15) {
            long q = at + 16;
            for (int j = 0; j < 256; j += 64) {
                for (int l = 0; l < 32; l++) {
                    putU8(y, q + l, levels[j + l] | (levels[j + l + 32] << 4));
                }
                q += 32;
            }
        } else {
            long qh = at + 16;
            long ql = at + 48;
            for (int j = 0; j < 32; j++) {
                putU8(y, qh + j, 0);
            }
            int m1 = 1;
            int m2 = 2;
            for (int n = 0; n < 256; n += 64) {
                for (int j = 0; j < 32; j++) {
                    int l1 = levels[n + j];
                    int h = BlockBytes.u8(y, qh + j);
                    if (l1 > 15) {
                        l1 -= 16;
                        h |= m1;
                    }
                    int l2 = levels[n + j + 32];
                    if (l2 > 15) {
                        l2 -= 16;
                        h |= m2;
                    }
                    putU8(y, qh + j, h);
                    putU8(y, ql + j, l1 | (l2 << 4));
                }
                m1 <<= 2;
                m2 <<= 2;
                ql += 32;
            }
        }
    }

    static void q6K(float[] x, int in, MemorySegment y, long at) {
        int[] levels = new int[256];
        float[] scales = new float[16];
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = LeastSquares.symmetricScale(16, 32, x, in + 16 * ib, levels, 16 * ib);
            scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            for (int j = 0; j < 210; j++) {
                putU8(y, at + j, 0);
            }
            return;
        }
        float iscale = -128.0f / maxScale;
        putF16(y, at + 208, 1 / iscale);
        float dAll = Float.float16ToFloat(y.get(SHORT_LE, at + 208));
        for (int ib = 0; ib < 16; ib++) {
            putU8(y, at + 192 + ib, Math.min(127, nearestInt(iscale * scales[ib])));
        }
        for (int j = 0; j < 16; j++) {
            float d = dAll * BlockBytes.s8(y, at + 192 + j);
            if (d == 0f) {
                continue;
            }
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt(x[in + 16 * j + ii] / d);
                levels[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
            }
        }
        long ql = at;
        long qh = at + 128;
        for (int j = 0; j < 256; j += 128) {
            for (int l = 0; l < 32; l++) {
                int a = levels[j + l];
                int b = levels[j + l + 32];
                int c = levels[j + l + 64];
                int e = levels[j + l + 96];
                putU8(y, ql + l, (a & 0x0F) | ((c & 0x0F) << 4));
                putU8(y, ql + l + 32, (b & 0x0F) | ((e & 0x0F) << 4));
                putU8(y, qh + l, (a >>> 4) | ((b >>> 4) << 2) | ((c >>> 4) << 4) | ((e >>> 4) << 6));
            }
            ql += 64;
            qh += 32;
        }
    }
}
