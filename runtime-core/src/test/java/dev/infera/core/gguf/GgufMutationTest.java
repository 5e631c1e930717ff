package dev.infera.core.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.infera.api.ModelFormatException;
import dev.infera.core.testing.SharedModels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Feeds the reader thousands of seeded corruptions of real GGUF files (bit flips, byte overwrites,
 * truncations, shifted bytes, and forged counts, lengths, type ids, ranks, dimensions and offsets at
 * the exact places the header holds them). Each must either parse, with every tensor's bytes inside
 * the file, or fail with a {@link ModelFormatException} that gives the byte offset or names the key or
 * tensor. Any other throwable (an out-of-bounds access, an out-of-memory error from a forged length, a
 * negative array size) fails the test with the seed that reproduces it.
 */
class GgufMutationTest {

    private static final long[] NASTY_U64 = {
        -1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, (1L << 31) - 1, 1L << 31, (1L << 62) + 7, 0x7fff_ffff_fff0L,
        0, 1, 5, 0xffff_ffffL,
    };
    private static final int[] NASTY_U32 = {-1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0, 1, 5, 9, 13, 63, 64, 4, 31};

    private record Outcome(int parsed, int rejected) {
    }

    @ParameterizedTest(name = "{0}: {1} mutations")
    @CsvSource({"stories260K.gguf, 1500, 11", "vocab/ggml-vocab-llama-spm.gguf, 1000, 22"})
    void corruptedFilesParseOrFailCleanly(String relative, int mutations, long seed) throws Exception {
        byte[] original = Files.readAllBytes(SharedModels.file(relative));
        GgufFieldMap map = new GgufFieldMap(original);
        Outcome o = Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> run(relative, original, map, mutations, seed));
        System.out.printf("GGUF mutations of %s: %d total, %d parsed, %d rejected with ModelFormatException%n",
                relative, mutations, o.parsed, o.rejected);
        assertThat(o.parsed + o.rejected).isEqualTo(mutations);
        // Both outcomes must be common, or the mutations are not testing anything.
        assertThat(o.parsed).isGreaterThan(mutations / 20);
        assertThat(o.rejected).isGreaterThan(mutations / 5);
    }

    private static Outcome run(String name, byte[] original, GgufFieldMap map, int mutations, long seed) {
        int parsed = 0;
        int rejected = 0;
        for (int i = 0; i < mutations; i++) {
            long mutationSeed = seed * 1_000_003L + i;
            Random rnd = new Random(mutationSeed);
            StringBuilder what = new StringBuilder();
            byte[] bytes = mutate(original, map, rnd, what);
            String context = name + " mutation #" + i + " (seed " + mutationSeed + ": " + what + ")";
            try {
                GgufFile f = GgufFile.parse(MemorySegment.ofArray(bytes), "mutant.gguf");
                touchEverything(f, bytes.length, context);
                parsed++;
            } catch (ModelFormatException e) {
                String m = e.getMessage();
                if (!m.contains("byte offset") && !m.contains("'")) {
                    fail(context + ": message names neither an offset nor a key/tensor: " + m);
                }
                rejected++;
            } catch (AssertionError e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(context + ": threw " + t, t);
            }
        }
        return new Outcome(parsed, rejected);
    }

    private static void touchEverything(GgufFile f, long fileSize, String context) {
        f.metadata().asMap().forEach((k, v) -> assertThat(v.toString()).isNotNull());
        for (GgufTensorInfo t : f.tensors()) {
            long start = f.dataOffset() + t.offset();
            if (start < 0 || start > fileSize || t.byteSize() > fileSize - start) {
                fail(context + ": tensor " + t + " lies outside the " + fileSize + "-byte file");
            }
            MemorySegment data = f.tensorData(t);
            assertThat(data.byteSize()).isEqualTo(t.byteSize());
            if (t.byteSize() > 0) {
                data.get(ValueLayout.JAVA_BYTE, 0);
                data.get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
            }
        }
    }

    /** Applies one randomly chosen corruption; positions favour the header, where damage matters. */
    static byte[] mutate(byte[] original, GgufFieldMap map, Random rnd, StringBuilder what) {
        int kind = rnd.nextInt(100);
        if (kind < 35) {
            return forgeField(original, map, rnd, what);
        }
        if (kind < 55) {
            byte[] b = original.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                int pos = position(b.length, map, rnd);
                b[pos] ^= (byte) (1 << rnd.nextInt(8));
                what.append("flip@").append(pos).append(' ');
            }
            return b;
        }
        if (kind < 70) {
            byte[] b = original.clone();
            int pos = position(b.length, map, rnd);
            int n = Math.min(1 + rnd.nextInt(16), b.length - pos);
            for (int k = 0; k < n; k++) {
                b[pos + k] = (byte) (rnd.nextBoolean() ? rnd.nextInt(256) : (rnd.nextBoolean() ? 0xff : 0));
            }
            what.append("overwrite ").append(n).append("@").append(pos);
            return b;
        }
        if (kind < 88) {
            int cut = rnd.nextInt(4) == 0 ? rnd.nextInt(original.length) : position(original.length, map, rnd);
            what.append("truncate@").append(cut);
            return Arrays.copyOf(original, cut);
        }
        int pos = position(original.length, map, rnd);
        int n = 1 + rnd.nextInt(8);
        if (rnd.nextBoolean()) {
            what.append("delete ").append(n).append("@").append(pos);
            byte[] b = new byte[original.length - Math.min(n, original.length - pos)];
            System.arraycopy(original, 0, b, 0, pos);
            System.arraycopy(original, pos + (original.length - b.length), b, pos, b.length - pos);
            return b;
        }
        what.append("insert ").append(n).append("@").append(pos);
        byte[] b = new byte[original.length + n];
        System.arraycopy(original, 0, b, 0, pos);
        for (int k = 0; k < n; k++) {
            b[pos + k] = (byte) rnd.nextInt(256);
        }
        System.arraycopy(original, pos, b, pos + n, original.length - pos);
        return b;
    }

    private static int position(int length, GgufFieldMap map, Random rnd) {
        int r = rnd.nextInt(10);
        if (r < 5) {
            return rnd.nextInt(Math.min(length, 4096));
        }
        if (r < 9) {
            return rnd.nextInt(Math.min(length, map.headerEnd + 64));
        }
        return rnd.nextInt(length);
    }

    private static byte[] forgeField(byte[] original, GgufFieldMap map, Random rnd, StringBuilder what) {
        byte[] b = original.clone();
        GgufFieldMap.Field f = map.fields.get(rnd.nextInt(map.fields.size()));
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (f.width() == 8) {
            long v = switch (rnd.nextInt(4)) {
                case 0 -> (long) b.length - f.offset() + rnd.nextInt(64) - 32;
                case 1 -> rnd.nextLong();
                default -> NASTY_U64[rnd.nextInt(NASTY_U64.length)];
            };
            buf.putLong(f.offset(), v);
            what.append("forge ").append(f.kind()).append("@").append(f.offset()).append("=").append(Long.toUnsignedString(v));
        } else if (f.width() == 4) {
            int v = rnd.nextBoolean() ? NASTY_U32[rnd.nextInt(NASTY_U32.length)] : rnd.nextInt(48);
            buf.putInt(f.offset(), v);
            what.append("forge ").append(f.kind()).append("@").append(f.offset()).append("=").append(Integer.toUnsignedString(v));
        } else {
            for (int k = 0; k < f.width(); k++) {
                b[f.offset() + k] = (byte) rnd.nextInt(256);
            }
            what.append("forge ").append(f.kind()).append("@").append(f.offset());
        }
        return b;
    }
}
