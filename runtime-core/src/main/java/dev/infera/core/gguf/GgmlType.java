package dev.infera.core.gguf;

/**
 * Tensor element types of GGML/GGUF, with their on-disk ids, the number of elements one block holds
 * and the bytes one block takes. Types that Infera cannot compute with are still named here, so a file
 * that uses one is reported by name rather than as an unknown number.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int bytesPerBlock;

    GgmlType(int id, int blockSize, int bytesPerBlock) {
        this.id = id;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    /** The id written in GGUF tensor infos. */
    public int id() {
        return id;
    }

    /** Elements per block (1 for plain types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    /**
     * Bytes that {@code numElements} elements take; -1 when the count is not a whole number of blocks
     * or the size overflows a long.
     */
    public long byteSize(long numElements) {
        if (numElements < 0 || numElements % blockSize != 0) {
            return -1;
        }
        long blocks = numElements / blockSize;
        if (blocks > Long.MAX_VALUE / bytesPerBlock) {
            return -1;
        }
        return blocks * bytesPerBlock;
    }

    /**
     * Describes an id that {@link #byId} does not know, naming the type GGML once used it for, so an
     * error can say "Q4_2 (removed)" instead of only a number.
     */
    public static String describeUnknownId(int id) {
        String removed = switch (id) {
            case 4 -> "Q4_2";
            case 5 -> "Q4_3";
            case 31 -> "Q4_0_4_4";
            case 32 -> "Q4_0_4_8";
            case 33 -> "Q4_0_8_8";
            case 36 -> "IQ4_NL_4_4";
            case 37 -> "IQ4_NL_4_8";
            case 38 -> "IQ4_NL_8_8";
            default -> null;
        };
        String n = Integer.toUnsignedString(id);
        return removed == null ? n : n + " (" + removed + ", removed from GGML; re-convert the model)";
    }

    /** The type for an id, or null when the id names no type (removed or unknown). */
    public static GgmlType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }
}
