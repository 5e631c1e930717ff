package dev.infera.cuda.plan;

/**
 * The element type of the device KV cache: F32 for models whose matrices are all F32 (so they match
 * the CPU backend to F32 precision), BF16 otherwise (half the memory, the precision of the weights).
 */
public enum KvType {
    F32(4, Kernel.KV_WRITE_F32, Kernel.ATTENTION_DECODE_F32, Kernel.ATTENTION_PREFILL_F32),
    BF16(2, Kernel.KV_WRITE_BF16, Kernel.ATTENTION_DECODE_BF16, Kernel.ATTENTION_PREFILL_BF16);

    private final int bytes;
    private final Kernel write;
    private final Kernel decode;
    private final Kernel prefill;

    KvType(int bytes, Kernel write, Kernel decode, Kernel prefill) {
        this.bytes = bytes;
        this.write = write;
        this.decode = decode;
        this.prefill = prefill;
    }

    public int bytes() {
        return bytes;
    }

    Kernel writeKernel() {
        return write;
    }

    Kernel decodeKernel() {
        return decode;
    }

    Kernel prefillKernel() {
        return prefill;
    }
}
