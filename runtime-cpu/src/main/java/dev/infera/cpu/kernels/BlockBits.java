package dev.infera.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Bit unpacking shared by the kernel templates. Everything here works on 128-bit byte vectors (16
 * elements of a quantized group), whose species is a constant whatever float species the kernels
 * use, so these need no specialisation. All methods are tiny so that C2 always inlines them: a vector
 * passed to a method that is not inlined gets boxed.
 */
final class BlockBits {

    static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private BlockBits() {
    }

    /**
     * The 16 levels {@code i + offset} of a 4-bit quant {@code i}, as floats: scaled by a block's
     * {@code d} (and shifted by its {@code m}) they are the block's 16 possible weights, a table the
     * 16-lane kernels index with the nibbles ({@code selectFrom}, one {@code vpermd}). At least
     * {@code lanes} floats, the pattern repeating every 16, so any species can load a vector of it.
     */
    static float[] q4Levels(int offset, int lanes) {
        float[] levels = new float[Math.max(16, lanes)];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = (i & 15) + offset;
        }
        return levels;
    }

    /**
     * The 8 bytes at {@code off} widened to 8 int lanes (sign-extended; callers mask the bits they
     * take): what the 8-lane kernel copies read per vector. Splitting a 16-byte load into two halves
     * ({@code convertShape} part 1) cost C2 so many nodes that their loops went past its inlining
     * budget and every vector was boxed; an 8-lane copy's int species is always 256-bit.
     */
    static IntVector ints8(MemorySegment w, long off) {
        return (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, w, off, LE)
                .convertShape(VectorOperators.B2I, IntVector.SPECIES_256, 0);
    }

    /**
     * The 8 signed bytes at {@code off} as 8 float lanes, converted in one step: Q8_0's 8-lane pair
     * loop has no room for {@link #ints8} followed by a separate int-to-float conversion (with it, the
     * loop boxed again).
     */
    static FloatVector floats8(MemorySegment w, long off) {
        return (FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, w, off, LE)
                .convertShape(VectorOperators.B2F, FloatVector.SPECIES_256, 0);
    }

    static ByteVector bytes(MemorySegment w, long off) {
        return ByteVector.fromMemorySegment(B, w, off, LE);
    }

    /** Bits {@code shift..shift+3} of every byte as 0..15 (shifted on 16-bit lanes: x86 has no byte shift). */
    static ByteVector nibbles(ByteVector b, int shift) {
        return b.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift).reinterpretAsBytes().and((byte) 0x0F);
    }

    /** {@code q} with 0x10 added where bit {@code bit} of the matching byte of {@code h} is set (a test, no shift). */
    static ByteVector withFifthBit(ByteVector q, ByteVector h, int bit) {
        return q.lanewise(VectorOperators.OR, (byte) 0x10, h.and((byte) (1 << bit)).compare(VectorOperators.NE, (byte) 0));
    }

    /** The 16 low nibbles (j &lt; 16) or high nibbles of a Q5_0/Q5_1 block with their fifth bits from {@code qh}. */
    static ByteVector fiveBits(ByteVector b, int shift, int qhBits) {
        return nibbles(b, shift).lanewise(VectorOperators.OR, (byte) 0x10, VectorMask.fromLong(B, qhBits & 0xFFFF));
    }

    /**
     * Bits {@code shift, shift+1} (shift 0..6) of every byte moved to bits 4-5, branch-free: shifted
     * right then left by 4 on 16-bit lanes; bits crossing between the two bytes land outside 0x30.
     */
    static ByteVector twoBitsToFour(ByteVector b, int shift) {
        return b.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift).lanewise(VectorOperators.LSHL, 4)
                .reinterpretAsBytes().and((byte) 0x30);
    }

    /**
     * Sub-block j's 6-bit scale (bits 0-7) and 6-bit min (bits 8-15) from the 12 scale bytes of a
     * Q4_K/Q5_K block read as three little-endian ints: bytes 0-3 hold the low 6 bits of scales 0-3
     * (top 2 bits: high bits of scales 4-7), bytes 4-7 the same for the mins, bytes 8-11 the low 4
     * bits of scales 4-7 (low nibble) and mins 4-7 (high nibble).
     */
    static int scaleMinK(int s0, int s1, int s2, int j) {
        if (j < 4) {
            return ((s0 >>> (8 * j)) & 63) | (((s1 >>> (8 * j)) & 63) << 8);
        }
        int k = 8 * (j - 4);
        int sc = ((s2 >>> k) & 0x0F) | (((s0 >>> (k + 6)) & 3) << 4);
        int m = ((s2 >>> (k + 4)) & 0x0F) | (((s1 >>> (k + 6)) & 3) << 4);
        return sc | (m << 8);
    }

    /**
     * The first 8 bytes at {@code off} as a little-endian long, read through a 16-byte vector load (so
     * 16 bytes from {@code off} must lie inside {@code w}). Block headers (f16 scales, Q5 fifth bits)
     * are read this way in the batch-1 dot loops: C2 compiles a vector load and one lane extract to
     * less work than a scalar segment read with its own bounds check.
     */
    static long head8(MemorySegment w, long off) {
        return bytes(w, off).reinterpretAsLongs().lane(0);
    }

    static float f16(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(SHORT_LE, off));
    }

    /** The bfloat16 at {@code off} as a float (its bits are a float's top half). */
    static float bf16(MemorySegment w, long off) {
        return Float.intBitsToFloat((w.get(SHORT_LE, off) & 0xFFFF) << 16);
    }

    /**
     * Columns {@code c..cols} of the F16 row at {@code off} times the activation row at byte
     * {@code xAt}, summed in order: the scalar tail every F16 dot kernel (batch 1 and small batches)
     * adds after its vector part, so their results agree.
     */
    static float f16Tail(MemorySegment w, long off, int c, int cols, MemorySegment x, long xAt) {
        float tail = 0;
        for (; c < cols; c++) {
            tail += f16(w, off + 2L * c) * x.get(FLOAT_LE, xAt + 4L * c);
        }
        return tail;
    }

    /** As {@link #f16Tail}, for BF16 rows. */
    static float bf16Tail(MemorySegment w, long off, int c, int cols, MemorySegment x, long xAt) {
        float tail = 0;
        for (; c < cols; c++) {
            tail += bf16(w, off + 2L * c) * x.get(FLOAT_LE, xAt + 4L * c);
        }
        return tail;
    }

    static int s8(MemorySegment w, long off) {
        return w.get(ValueLayout.JAVA_BYTE, off);
    }
}
