package dev.infera.cuda.plan;

import dev.infera.core.gguf.GgmlType;

/**
 * How a weight matrix is stored on the device. Dense formats are row-major; the quantized ones use the
 * split layout (all quants, then one F16 scale per block of 32 at {@link #scalesOffset}), so rows load
 * with aligned vector reads. GGUF types without a device format are converted to BF16 on upload.
 */
public enum WeightFormat {
    F32(GgmlType.F32, Kernel.MATVEC_F32, Kernel.EMBED_F32, null),
    F16(GgmlType.F16, Kernel.MATVEC_F16, Kernel.EMBED_F16, null),
    BF16(GgmlType.BF16, Kernel.MATVEC_BF16, Kernel.EMBED_BF16, null),
    Q8_0(GgmlType.Q8_0, Kernel.MATVEC_Q8_0, Kernel.EMBED_Q8_0, Kernel.DEQUANT_Q8_0_BF16),
    Q4_0(GgmlType.Q4_0, Kernel.MATVEC_Q4_0, Kernel.EMBED_Q4_0, Kernel.DEQUANT_Q4_0_BF16);

    /** Elements per quantization block. */
    public static final int QK = 32;
    /** Device allocations and sub-buffers start at multiples of this many bytes. */
    public static final int ALIGNMENT = 256;

    private final GgmlType ggmlType;
    private final Kernel matvec;
    private final Kernel embed;
    private final Kernel dequant;

    WeightFormat(GgmlType ggmlType, Kernel matvec, Kernel embed, Kernel dequant) {
        this.ggmlType = ggmlType;
        this.matvec = matvec;
        this.embed = embed;
        this.dequant = dequant;
    }

    /** The device format that keeps a GGUF type as it is, or BF16 for types converted on upload. */
    public static WeightFormat of(GgmlType type) {
        for (WeightFormat f : values()) {
            if (f.ggmlType == type) {
                return f;
            }
        }
        return BF16;
    }

    public GgmlType ggmlType() {
        return ggmlType;
    }

    public boolean isQuantized() {
        return dequant != null;
    }

    Kernel matvecKernel() {
        return matvec;
    }

    Kernel embedKernel() {
        return embed;
    }

    Kernel dequantKernel() {
        return dequant;
    }

    /** Bytes of the quants (or of the dense elements) of a {@code rows x cols} matrix. */
    public long dataBytes(long rows, long cols) {
        long n = rows * cols;
        return switch (this) {
            case F32 -> n * 4;
            case F16, BF16 -> n * 2;
            case Q8_0 -> n;
            case Q4_0 -> n / 2;
        };
    }

    /** Where the scales of a quantized matrix start (0 for dense formats). */
    public long scalesOffset(long rows, long cols) {
        return isQuantized() ? alignUp(dataBytes(rows, cols)) : 0;
    }

    /** Device bytes of a {@code rows x cols} matrix in this format. */
    public long deviceBytes(long rows, long cols) {
        return isQuantized() ? scalesOffset(rows, cols) + rows * (cols / QK) * 2 : dataBytes(rows, cols);
    }

    static long alignUp(long bytes) {
        return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
}
