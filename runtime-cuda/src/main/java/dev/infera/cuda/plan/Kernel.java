package dev.infera.cuda.plan;

/**
 * Every CUDA kernel the backend launches, by its {@code extern "C"} name in {@code src/main/cuda}. A
 * build-time test checks that each name is an entry of the compiled PTX, so a renamed or missing
 * kernel fails the build instead of a GPU run.
 */
public enum Kernel {
    EMBED_F32("embed_f32"),
    EMBED_F16("embed_f16"),
    EMBED_BF16("embed_bf16"),
    EMBED_Q8_0("embed_q8_0"),
    EMBED_Q4_0("embed_q4_0"),
    RMS_NORM("rms_norm"),
    ADD_RMS_NORM("add_rms_norm"),
    RESIDUAL_ADD("residual_add"),
    BIAS_ADD("bias_add"),
    ROPE("rope"),
    SILU_MUL("silu_mul"),
    KV_WRITE_F32("kv_write_f32"),
    KV_WRITE_BF16("kv_write_bf16"),
    ATTENTION_DECODE_F32("attention_decode_f32"),
    ATTENTION_DECODE_BF16("attention_decode_bf16"),
    ATTENTION_DECODE_REDUCE("attention_decode_reduce"),
    ATTENTION_PREFILL_F32("attention_prefill_f32"),
    ATTENTION_PREFILL_BF16("attention_prefill_bf16"),
    MATVEC_F32("matvec_f32"),
    MATVEC_F16("matvec_f16"),
    MATVEC_BF16("matvec_bf16"),
    MATVEC_Q8_0("matvec_q8_0"),
    MATVEC_Q4_0("matvec_q4_0"),
    DEQUANT_Q8_0_BF16("dequant_q8_0_bf16"),
    DEQUANT_Q4_0_BF16("dequant_q4_0_bf16"),
    CONVERT_F32_BF16("convert_f32_bf16"),
    CONVERT_F32_F16("convert_f32_f16"),
    ARGMAX_ROWS("argmax_rows");

    private final String symbol;

    Kernel(String symbol) {
        this.symbol = symbol;
    }

    /** The kernel's name in the fatbin. */
    public String symbol() {
        return symbol;
    }
}
