package dev.infera.core.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

/** Hand-forged GGUF files, each broken in one specific way, and the error each must give. */
class GgufForgedFileTest {

    /** Builds raw GGUF bytes field by field, so fields can hold values no writer would produce. */
    private static final class Raw {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Raw u32(long v) {
            return put(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        }

        Raw u64(long v) {
            return put(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        Raw u8(int v) {
            out.write(v);
            return this;
        }

        Raw str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).put(b);
        }

        Raw put(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        /** Magic, version, tensor count, metadata count. */
        static Raw header(int version, long tensors, long kvs) {
            return new Raw().u32(GgufFile.MAGIC).u32(version).u64(tensors).u64(kvs);
        }

        Raw kvU32(String key, int v) {
            return str(key).u32(GgufValueType.UINT32.id()).u32(v);
        }

        /** Tensor info: name, rank, dims, type id, offset. */
        Raw tensor(String name, int typeId, long offset, long... dims) {
            str(name).u32(dims.length);
            for (long d : dims) {
                u64(d);
            }
            return u32(typeId).u64(offset);
        }

        Raw padTo(int alignment) {
            while (out.size() % alignment != 0) {
                out.write(0);
            }
            return this;
        }

        Raw zeros(int n) {
            return put(new byte[n]);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static GgufFile parse(Raw raw) {
        return GgufFile.parse(MemorySegment.ofArray(raw.bytes()), "forged.gguf");
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> rejects(Raw raw) {
        return assertThatThrownBy(() -> parse(raw)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("forged.gguf").hasMessageContaining("byte offset");
    }

    @Test
    void validFileParses() {
        Raw raw = Raw.header(3, 1, 1).kvU32("a.b", 7).tensor("t", GgmlType.F32.id(), 0, 2).padTo(32).zeros(32);
        GgufFile f = parse(raw);
        assertThat(f.metadata().getInt("a.b")).isEqualTo(7);
        assertThat(f.tensor("t").byteSize()).isEqualTo(8);
    }

    @Test
    void hugeStringLength() {
        rejects(Raw.header(3, 0, 1).u64(-1L).put(new byte[40]))
                .hasMessageContaining("metadata key #0 length 18446744073709551615 exceeds");
        rejects(Raw.header(3, 0, 1).str("k").u32(GgufValueType.STRING.id()).u64(Long.MAX_VALUE).zeros(8))
                .hasMessageContaining("'k'").hasMessageContaining("length " + Long.MAX_VALUE);
        rejects(Raw.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id()).u32(GgufValueType.STRING.id()).u64(2)
                .str("ok").u64(1L << 40)).hasMessageContaining("'k'[1] length 1099511627776");
    }

    @Test
    void hugeArrayCount() {
        rejects(Raw.header(3, 0, 1).str("tokenizer.ggml.scores").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.FLOAT32.id()).u64(1L << 61).zeros(64))
                .hasMessageContaining("'tokenizer.ggml.scores' count 2305843009213693952 is impossible");
        rejects(Raw.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.UINT8.id()).u64(65).zeros(64)).hasMessageContaining("count 65");
    }

    @Test
    void hugeCountsInTheHeader() {
        rejects(Raw.header(3, 0, -1L).zeros(100)).hasMessageContaining("metadata count 18446744073709551615");
        rejects(Raw.header(3, 1L << 40, 0).zeros(100)).hasMessageContaining("tensor count 1099511627776");
    }

    @Test
    void arraysNestedTooDeep() {
        Raw raw = Raw.header(3, 0, 1).str("deep").u32(GgufValueType.ARRAY.id());
        for (int d = 0; d < 12; d++) {
            raw.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        raw.u32(GgufValueType.INT32.id()).u64(0);
        rejects(raw).hasMessageContaining("'deep'").hasMessageContaining("nests arrays deeper than 8");
    }

    @Test
    void unknownValueTypes() {
        rejects(Raw.header(3, 0, 1).str("general.x").u32(99).zeros(8))
                .hasMessageContaining("'general.x' has unknown value type 99");
        rejects(Raw.header(3, 0, 1).str("a").u32(GgufValueType.ARRAY.id()).u32(-1).u64(0))
                .hasMessageContaining("'a' is an array of unknown element type 4294967295");
    }

    @Test
    void unknownTensorTypeIsNamed() {
        rejects(Raw.header(3, 1, 0).tensor("blk.0.attn_q.weight", 99, 0, 32).padTo(32).zeros(64))
                .hasMessageContaining("tensor 'blk.0.attn_q.weight' has unknown tensor type id 99");
        rejects(Raw.header(3, 1, 0).tensor("w", 4, 0, 32).padTo(32).zeros(64))
                .hasMessageContaining("unknown tensor type id 4 (Q4_2, removed");
    }

    @Test
    void misalignedOffset() {
        rejects(Raw.header(3, 1, 0).tensor("w", GgmlType.F32.id(), 4, 2).padTo(32).zeros(64))
                .hasMessageContaining("tensor 'w' data offset 4 is not a multiple of the alignment 32");
        rejects(Raw.header(3, 1, 1).kvU32("general.alignment", 48).tensor("w", 0, 0, 2).padTo(64).zeros(64))
                .hasMessageContaining("'general.alignment' = 48 is not a power of two");
    }

    @Test
    void tensorBeyondEndOfFile() {
        rejects(Raw.header(3, 2, 0).tensor("a", GgmlType.F32.id(), 0, 8).tensor("b", GgmlType.F32.id(), 32, 8)
                .padTo(32).zeros(40)).hasMessageContaining("tensor 'b' data [32, +32) lies beyond the end of the file");
        rejects(Raw.header(3, 1, 0).tensor("q", GgmlType.Q8_0.id(), 0, 32, 2).padTo(32).zeros(67))
                .hasMessageContaining("tensor 'q'");
        // An empty tensor must still start inside the file, or slicing it would fail later.
        rejects(Raw.header(3, 1, 0).tensor("e", GgmlType.F32.id(), 1L << 40, 0).padTo(32).zeros(32))
                .hasMessageContaining("tensor 'e'");
    }

    @Test
    void badRanksAndShapes() {
        rejects(Raw.header(3, 1, 0).tensor("r0", 0, 0).padTo(32).zeros(32)).hasMessageContaining("'r0' has rank 0");
        rejects(Raw.header(3, 1, 0).tensor("r5", 0, 0, 1, 1, 1, 1, 1).padTo(32).zeros(32))
                .hasMessageContaining("'r5' has rank 5");
        rejects(Raw.header(3, 1, 0).tensor("big", 0, 0, 1L << 32, 1L << 32).padTo(32).zeros(32))
                .hasMessageContaining("'big' dimension 1").hasMessageContaining("overflow");
        rejects(Raw.header(3, 1, 0).tensor("neg", 0, 0, -5).padTo(32).zeros(32))
                .hasMessageContaining("'neg' dimension 0");
        rejects(Raw.header(3, 1, 0).tensor("huge", GgmlType.F64.id(), 0, 1L << 61).padTo(32).zeros(32))
                .hasMessageContaining("'huge' is too large");
        rejects(Raw.header(3, 1, 0).tensor("q", GgmlType.Q4_0.id(), 0, 48).padTo(32).zeros(32))
                .hasMessageContaining("row length 48, not a multiple of the block size 32");
    }

    @Test
    void duplicates() {
        rejects(Raw.header(3, 0, 2).kvU32("k", 1).kvU32("k", 2)).hasMessageContaining("'k' appears twice");
        GgufFile same = parse(Raw.header(3, 0, 2).kvU32("k", 1).kvU32("k", 1));
        assertThat(same.metadata().keys()).containsExactly("k");
        rejects(Raw.header(3, 2, 0).tensor("t", 0, 0, 1).tensor("t", 0, 32, 1).padTo(32).zeros(64))
                .hasMessageContaining("duplicate tensor name 't'");
    }

    @Test
    void badBools() {
        rejects(Raw.header(3, 0, 1).str("flag").u32(GgufValueType.BOOL.id()).u8(2))
                .hasMessageContaining("'flag' is a bool with value 2");
        rejects(Raw.header(3, 0, 1).str("flags").u32(GgufValueType.ARRAY.id()).u32(GgufValueType.BOOL.id()).u64(3)
                .u8(1).u8(0).u8(255)).hasMessageContaining("'flags'[2] is a bool with value 255");
    }

    @Test
    void unsupportedVersionsAndByteOrder() {
        rejects(Raw.header(1, 0, 0)).hasMessageContaining("version 1 is not supported");
        rejects(Raw.header(Integer.reverseBytes(3), 0, 0)).hasMessageContaining("big-endian");
        rejects(Raw.header(7, 0, 0)).hasMessageContaining("unsupported GGUF version 7");
        rejects(new Raw().u32(0x46554746).u32(3)).hasMessageContaining("magic");
        rejects(new Raw().u8('G').u8('G')).hasMessageContaining("too short");
        rejects(new Raw().u32(GgufFile.MAGIC).u32(3).u32(0)).hasMessageContaining("truncated while reading tensor count");
    }

    @Test
    void badAlignmentType() {
        rejects(Raw.header(3, 0, 1).str("general.alignment").u32(GgufValueType.STRING.id()).str("32"))
                .hasMessageContaining("'general.alignment' has type STRING");
    }
}
