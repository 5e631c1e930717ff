package dev.infera.api;

/**
 * The element type a backend stores keys and values in. A 2-byte type halves the KV cache's memory
 * (twice the tokens for the same budget) and the bytes decode attention reads per step, at the cost of
 * rounding every key and value once when it is written.
 */
public enum KvCacheType {
    /**
     * The backend's choice, which follows the weights: F32 for models whose layer matrices are all F32
     * (results then match F32 references to float precision); for any other model F16 on the CPU
     * (llama.cpp's default) and BF16 on CUDA (the only type its kernels keep for such a model, so
     * naming another one there is refused).
     */
    AUTO,
    /** 32-bit floats. */
    F32,
    /**
     * IEEE half precision (11 significant bits; magnitudes above 65504 are stored as 65504). CPU only.
     */
    F16,
    /** bfloat16 (8 significant bits, the range of F32). CUDA only. */
    BF16
}
