package dev.infera.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
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

    static ByteVector bytes(MemorySegment w, long off) {
        return ByteVector.fromMemorySegment(B, w, off, LE);
    }

    /** Bits {@code shift..shift+3} of every byte as 0..15 (shifted on 16-bit lanes: x86 has no byte shift). */
    static ByteVector nibbles(ByteVector b, int shift) {
        return b.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift).reinterpretAsBytes().and((byte) 0x0F);
    }

    static float f16(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(SHORT_LE, off));
    }

    static int s8(MemorySegment w, long off) {
        return w.get(ValueLayout.JAVA_BYTE, off);
    }
}
