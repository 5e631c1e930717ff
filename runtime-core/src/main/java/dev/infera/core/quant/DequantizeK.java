package dev.infera.core.quant;

import static dev.infera.core.quant.BlockBytes.FLOAT_LE;
import static dev.infera.core.quant.BlockBytes.f16;
import static dev.infera.core.quant.BlockBytes.s8;
import static dev.infera.core.quant.BlockBytes.u8;

import java.lang.foreign.MemorySegment;

/**
 * Decoding of GGML's 256-element "K" super-blocks. Field offsets inside a block (bytes):
 * <pre>
 * Q2_K  84: scales[16] @0 (low nibble scale, high nibble min), qs[64] @16, f16 d @80, f16 dmin @82
 * Q3_K 110: hmask[32] @0, qs[64] @32, scales[12] @96 (sixteen 6-bit scales), f16 d @108
 * Q4_K 144: f16 d @0, f16 dmin @2, scales[12] @4 (eight 6-bit scales + eight 6-bit mins), qs[128] @16
 * Q5_K 176: as Q4_K, plus qh[32] @16 (fifth bits) and qs[128] @48
 * Q6_K 210: ql[128] @0, qh[64] @128, int8 scales[16] @192, f16 d @208
 * Q8_K 292: f32 d @0, int8 qs[256] @4, int16 bsums[16] @260
 * </pre>
 */
final class DequantizeK {

    private DequantizeK() {
    }

    static void q2K(MemorySegment s, long at, float[] y, int out) {
        float d = f16(s, at + 80);
        float min = f16(s, at + 82);
        int is = 0;
        for (int half = 0; half < 2; half++) {
            long q = at + 16 + 32L * half;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 2; part++) {
                    int sc = u8(s, at + is++);
                    float dl = d * (sc & 0x0F);
                    float ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) {
                        y[out++] = dl * ((u8(s, q + 16 * part + l) >>> shift) & 3) - ml;
                    }
                }
            }
        }
    }

    /** The j-th 6-bit scale of a Q3_K block (0..63, stored with a bias of 32). */
    static int q3KScale(MemorySegment s, long scales, int j) {
        int low = j < 8 ? u8(s, scales + j) & 0x0F : u8(s, scales + j - 8) >>> 4;
        int high = (u8(s, scales + 8 + (j & 3)) >>> (2 * (j >>> 2))) & 3;
        return low | (high << 4);
    }

    static void q3K(MemorySegment s, long at, float[] y, int out) {
        float dAll = f16(s, at + 108);
        long hm = at;
        int is = 0;
        int mask = 1;
        for (int half = 0; half < 2; half++) {
            long q = at + 32 + 32L * half;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 2; part++) {
                    float dl = dAll * (q3KScale(s, at + 96, is++) - 32);
                    for (int l = 0; l < 16; l++) {
                        int low = (u8(s, q + 16 * part + l) >>> shift) & 3;
                        int sub = (u8(s, hm + 16 * part + l) & mask) != 0 ? 0 : 4;
                        y[out++] = dl * (low - sub);
                    }
                }
                mask <<= 1;
            }
        }
    }

    /** Sub-block j of Q4_K/Q5_K: its 6-bit scale in bits 0-7 and its 6-bit min in bits 8-15. */
    static int scaleMinK4(MemorySegment s, long scales, int j) {
        int sc;
        int m;
        if (j < 4) {
            sc = u8(s, scales + j) & 63;
            m = u8(s, scales + j + 4) & 63;
        } else {
            sc = (u8(s, scales + j + 4) & 0x0F) | ((u8(s, scales + j - 4) >>> 6) << 4);
            m = (u8(s, scales + j + 4) >>> 4) | ((u8(s, scales + j) >>> 6) << 4);
        }
        return sc | (m << 8);
    }

    static void q4K(MemorySegment s, long at, float[] y, int out) {
        float d = f16(s, at);
        float min = f16(s, at + 2);
        long q = at + 16;
        for (int is = 0; is < 8; is += 2) {
            int sm1 = scaleMinK4(s, at + 4, is);
            int sm2 = scaleMinK4(s, at + 4, is + 1);
            float d1 = d * (sm1 & 0xFF);
            float m1 = min * (sm1 >>> 8);
            float d2 = d * (sm2 & 0xFF);
            float m2 = min * (sm2 >>> 8);
            for (int l = 0; l < 32; l++) {
                y[out + l] = d1 * (u8(s, q + l) & 0x0F) - m1;
                y[out + 32 + l] = d2 * (u8(s, q + l) >>> 4) - m2;
            }
            out += 64;
            q += 32;
        }
    }

    static void q5K(MemorySegment s, long at, float[] y, int out) {
        float d = f16(s, at);
        float min = f16(s, at + 2);
        long qh = at + 16;
        long ql = at + 48;
        int u1 = 1;
        int u2 = 2;
        for (int is = 0; is < 8; is += 2) {
            int sm1 = scaleMinK4(s, at + 4, is);
            int sm2 = scaleMinK4(s, at + 4, is + 1);
            float d1 = d * (sm1 & 0xFF);
            float m1 = min * (sm1 >>> 8);
            float d2 = d * (sm2 & 0xFF);
            float m2 = min * (sm2 >>> 8);
            for (int l = 0; l < 32; l++) {
                int h = u8(s, qh + l);
                int lo = u8(s, ql + l);
                y[out + l] = d1 * ((lo & 0x0F) + ((h & u1) != 0 ? 16 : 0)) - m1;
                y[out + 32 + l] = d2 * ((lo >>> 4) + ((h & u2) != 0 ? 16 : 0)) - m2;
            }
            out += 64;
            ql += 32;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    static void q6K(MemorySegment s, long at, float[] y, int out) {
        float d = f16(s, at + 208);
        long ql = at;
        long qh = at + 128;
        long sc = at + 192;
        for (int half = 0; half < 2; half++) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int lo0 = u8(s, ql + l);
                int lo32 = u8(s, ql + l + 32);
                int h = u8(s, qh + l);
                int q1 = ((lo0 & 0x0F) | (((h >>> 0) & 3) << 4)) - 32;
                int q2 = ((lo32 & 0x0F) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((lo0 >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((lo32 >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[out + l] = d * s8(s, sc + is) * q1;
                y[out + l + 32] = d * s8(s, sc + is + 2) * q2;
                y[out + l + 64] = d * s8(s, sc + is + 4) * q3;
                y[out + l + 96] = d * s8(s, sc + is + 6) * q4;
            }
            out += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }

    static void q8K(MemorySegment s, long at, float[] y, int out) {
        float d = s.get(FLOAT_LE, at);
        for (int j = 0; j < 256; j++) {
            y[out + j] = d * s8(s, at + 4 + j);
        }
    }
}
