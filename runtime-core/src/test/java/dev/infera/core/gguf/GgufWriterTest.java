package dev.infera.core.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufWriterTest {

    private static byte[] write(int version, Consumer<GgufWriter> body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GgufWriter w = GgufWriter.to(Channels.newChannel(bytes), "test.gguf", version)) {
            body.accept(w);
        }
        return bytes.toByteArray();
    }

    private static GgufFile parse(byte[] bytes) {
        return GgufFile.parse(MemorySegment.ofArray(bytes), "test.gguf");
    }

    private static Map<String, GgufValue> everyType() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("t.u8", new GgufValue(GgufValueType.UINT8, (byte) 0xff));
        m.put("t.i8", new GgufValue(GgufValueType.INT8, (byte) -3));
        m.put("t.u16", new GgufValue(GgufValueType.UINT16, (short) 0xfffe));
        m.put("t.i16", new GgufValue(GgufValueType.INT16, (short) -300));
        m.put("t.u32", GgufValue.ofUInt32(0xfffffffd));
        m.put("t.i32", GgufValue.ofInt32(-70000));
        m.put("t.f32", GgufValue.ofFloat32(1.5e-5f));
        m.put("t.bool", GgufValue.ofBool(true));
        m.put("t.str", GgufValue.ofString("héllo ▁ 世界"));
        m.put("t.u64", GgufValue.ofUInt64(-1L));
        m.put("t.i64", new GgufValue(GgufValueType.INT64, Long.MIN_VALUE));
        m.put("t.f64", new GgufValue(GgufValueType.FLOAT64, Math.PI));
        m.put("a.bool", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, new byte[] {1, 0, 1})));
        m.put("a.u8", GgufValue.ofArray(new GgufArray(GgufValueType.UINT8, new byte[] {(byte) 200, 1})));
        m.put("a.i16", GgufValue.ofArray(new GgufArray(GgufValueType.INT16, new short[] {-1, 2, 3})));
        m.put("a.u32", GgufValue.ofArray(new GgufArray(GgufValueType.UINT32, new int[] {-1, 7})));
        m.put("a.i64", GgufValue.ofArray(new GgufArray(GgufValueType.INT64, new long[] {Long.MAX_VALUE})));
        m.put("a.f32", GgufValue.ofArray(GgufArray.ofFloat32(0.5f, Float.NaN, -0f)));
        m.put("a.f64", GgufValue.ofArray(new GgufArray(GgufValueType.FLOAT64, new double[] {1e300})));
        m.put("a.str", GgufValue.ofArray(new GgufArray(GgufValueType.STRING, new String[] {"", "a b", "ü"})));
        m.put("a.empty", GgufValue.ofArray(new GgufArray(GgufValueType.INT32, new int[0])));
        GgufArray inner1 = GgufArray.ofInt32(1, 2, 3);
        GgufArray inner2 = new GgufArray(GgufValueType.STRING, new String[] {"x"});
        GgufArray mid = new GgufArray(GgufValueType.ARRAY, new GgufArray[] {inner1, inner2});
        m.put("a.nested", GgufValue.ofArray(new GgufArray(GgufValueType.ARRAY, new GgufArray[] {mid, mid})));
        return m;
    }

    @Test
    void everyValueTypeSurvivesWithItsExactTypeAndOrder() {
        Map<String, GgufValue> m = everyType();
        for (int version : new int[] {2, 3}) {
            byte[] bytes = write(version, w -> m.forEach(w::put));
            GgufFile f = parse(bytes);
            assertThat(f.version()).isEqualTo(version);
            assertThat(f.metadata().asMap()).containsExactlyEntriesOf(m);
            assertThat(f.tensors()).isEmpty();
        }
    }

    @Test
    void tensorsAreAlignedAndPaddedWithZeros() {
        float[] a = {1, 2, 3};
        byte[] bytes = write(3, w -> {
            w.put("general.alignment", GgufValue.ofUInt32(64));
            w.addTensor("a", GgmlType.F32, 3);
            w.addTensor("b", GgmlType.Q8_0, 32, 2);
            w.writeTensor("a", MemorySegment.ofArray(a));
            w.writeTensor("b", sink -> {
                sink.write(new byte[34]);
                sink.write(ByteBuffer.allocate(34).put(0, (byte) 9));
            });
            assertThat(w.tensorInfos()).extracting(GgufTensorInfo::offset).containsExactly(0L, 64L);
        });
        GgufFile f = parse(bytes);
        assertThat(f.alignment()).isEqualTo(64);
        assertThat(f.dataOffset() % 64).isZero();
        assertThat(f.tensor("b").offset()).isEqualTo(64);
        assertThat(f.tensor("b").shape()).containsExactly(32, 2);
        assertThat(f.tensorData("a").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED)).containsExactly(a);
        assertThat(f.tensorData("b").get(ValueLayout.JAVA_BYTE, 34)).isEqualTo((byte) 9);
        assertThat(bytes.length).isEqualTo(f.dataOffset() + 64 + 128);
        for (long i = f.dataOffset() + 12; i < f.dataOffset() + 64; i++) {
            assertThat(bytes[(int) i]).as("padding byte %d", i).isZero();
        }
    }

    @Test
    void writesFileOnDisk(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("x.gguf");
        try (GgufWriter w = GgufWriter.create(p)) {
            w.put("general.architecture", GgufValue.ofString("llama"));
            w.addTensor("w", GgmlType.F16, 8, 3);
            ByteBuffer data = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 24; i++) {
                data.putShort(Float.floatToFloat16(i));
            }
            w.writeTensor("w", MemorySegment.ofBuffer(data.flip()));
        }
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.version()).isEqualTo(3);
            MemorySegment w = f.tensorData("w");
            assertThat(Float.float16ToFloat(w.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * 23))).isEqualTo(23f);
            assertThat(Files.size(p) % 32).isZero();
        }
    }

    @Test
    void wrongByteCountsAreRejectedWithTheTensorName() {
        assertThatThrownBy(() -> write(3, w -> {
            w.addTensor("blk.0.x", GgmlType.F32, 4);
            w.writeTensor("blk.0.x", sink -> sink.write(new byte[12]));
        })).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'blk.0.x'").hasMessageContaining("16 bytes").hasMessageContaining("12");
        assertThatThrownBy(() -> write(3, w -> {
            w.addTensor("y", GgmlType.F32, 4);
            w.writeTensor("y", sink -> {
                sink.write(new byte[8]);
                sink.write(new byte[9]);
            });
        })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'y'").hasMessageContaining("17");
    }

    @Test
    void misuseIsRejectedClearly() {
        assertThatThrownBy(() -> write(3, w -> w.put("k", GgufValue.ofInt32(1)).put("k", GgufValue.ofInt32(1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate metadata key 'k'");
        assertThatThrownBy(() -> write(3, w -> w.addTensor("t", GgmlType.F32, 1).addTensor("t", GgmlType.F32, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate tensor name 't'");
        assertThatThrownBy(() -> write(3, w -> w.addTensor("t", GgmlType.F32)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rank 0");
        assertThatThrownBy(() -> write(3, w -> w.addTensor("t", GgmlType.F32, 1, 1, 1, 1, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rank 5");
        assertThatThrownBy(() -> write(3, w -> w.addTensor("t", GgmlType.F32, 4, -1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimension 1");
        assertThatThrownBy(() -> write(3, w -> w.addTensor("t", GgmlType.F32, 1L << 40, 1L << 40)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflow");
        assertThatThrownBy(() -> write(3, w -> w.addTensor("t", GgmlType.Q4_0, 48, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block size 32");
        assertThatThrownBy(() -> write(3, w -> w.addTensor("x".repeat(64), GgmlType.F32, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 UTF-8 bytes");
        assertThatThrownBy(() -> write(3, w -> w.put("general.alignment", GgufValue.ofUInt32(48))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two");
        assertThatThrownBy(() -> write(3, w -> w.put("general.alignment", GgufValue.ofInt32(64))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("UINT32");
        assertThatThrownBy(() -> write(3, w -> w.put("b",
                GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, new byte[] {0, 2})))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'b'").hasMessageContaining("element 1");
        assertThatThrownBy(() -> GgufWriter.to(Channels.newChannel(new ByteArrayOutputStream()), "x", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version");
    }

    @Test
    void orderAndCompletenessAreEnforced() {
        assertThatThrownBy(() -> write(3, w -> {
            w.addTensor("a", GgmlType.F32, 1).addTensor("b", GgmlType.F32, 1);
            w.writeTensor("b", MemorySegment.ofArray(new float[1]));
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("out of order").hasMessageContaining("'a'");
        assertThatThrownBy(() -> write(3, w -> {
            w.addTensor("a", GgmlType.F32, 1);
            w.writeTensor("zz", MemorySegment.ofArray(new float[1]));
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("never declared");
        assertThatThrownBy(() -> write(3, w -> {
            w.addTensor("a", GgmlType.F32, 1).addTensor("b", GgmlType.F32, 1);
            w.writeTensor("a", MemorySegment.ofArray(new float[1]));
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("1 of 2").hasMessageContaining("'b'");
        assertThatThrownBy(() -> write(3, w -> {
            w.addTensor("a", GgmlType.F32, 1);
            w.writeTensor("a", MemorySegment.ofArray(new float[1]));
            w.put("late", GgufValue.ofInt32(1));
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("'late'").hasMessageContaining("header");
    }

    @Test
    void failedTensorPoisonsTheWriter() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        GgufWriter w = GgufWriter.to(Channels.newChannel(bytes), "p.gguf", 3);
        w.addTensor("a", GgmlType.F32, 2).addTensor("b", GgmlType.F32, 1);
        assertThatThrownBy(() -> w.writeTensor("a", sink -> sink.write(new byte[4])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.writeTensor("b", MemorySegment.ofArray(new float[1])))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("failed earlier");
        w.close();
    }
}
