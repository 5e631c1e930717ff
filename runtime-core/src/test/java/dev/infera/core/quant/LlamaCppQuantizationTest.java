package dev.infera.core.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.gguf.GgufFile;
import dev.infera.core.gguf.GgufTensorInfo;
import dev.infera.core.testing.SharedModels;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks the quant layer against files llama.cpp quantized from {@code stories260K.gguf} (all F32):
 * decoding their tensors must give the F32 originals within each type's rounding error, and encoding
 * the F32 originals with {@link Quantize} must give llama.cpp's bytes exactly.
 */
class LlamaCppQuantizationTest {

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "F16", "BF16"})
    void decodesAndReencodesLlamaCppFilesExactly(String fileType) {
        try (GgufFile original = GgufFile.open(SharedModels.file("stories260K.gguf"));
                GgufFile quantized = GgufFile.open(
                        SharedModels.file("derived/stories260K-llamacpp/stories260K-" + fileType + ".gguf"))) {
            List<String> mismatches = new ArrayList<>();
            int checkedTensors = 0;
            for (GgufTensorInfo t : quantized.tensors()) {
                GgufTensorInfo src = original.tensor(t.name());
                assertThat(src.type()).isEqualTo(GgmlType.F32);
                int n = Math.toIntExact(t.numElements());
                int cols = Math.toIntExact(t.dim(0));
                float[] reference = Dequantize.all(GgmlType.F32, original.tensorData(src), n);
                MemorySegment theirs = quantized.tensorData(t);
                float[] decoded = Dequantize.all(t.type(), theirs, n);
                assertDecodedWithinTypeError(t, reference, decoded, cols);

                byte[] ours = new byte[Math.toIntExact(t.byteSize())];
                MemorySegment oursSeg = MemorySegment.ofArray(ours);
                long rowBytes = t.type().byteSize(cols);
                for (int r = 0; r < n / cols; r++) {
                    Quantize.row(t.type(), reference, r * cols, cols, oursSeg, r * rowBytes);
                }
                int differing = 0;
                for (int i = 0; i < ours.length; i++) {
                    if (ours[i] != theirs.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i)) {
                        differing++;
                    }
                }
                if (differing > 0) {
                    mismatches.add(t.name() + " (" + t.type() + "): " + differing + " of " + ours.length + " bytes differ");
                }
                checkedTensors++;
            }
            assertThat(checkedTensors).isEqualTo(original.tensors().size());
            assertThat(mismatches).as("tensors whose re-encoding differs from llama.cpp's").isEmpty();
        }
    }

    private static void assertDecodedWithinTypeError(GgufTensorInfo t, float[] reference, float[] decoded, int cols) {
        int qk = t.type().blockSize();
        for (int start = 0; start < reference.length; start += Math.max(qk, 32)) {
            int len = Math.min(Math.max(qk, 32), reference.length - start);
            float amax = 0;
            for (int i = 0; i < len; i++) {
                amax = Math.max(amax, Math.abs(reference[start + i]));
            }
            for (int i = 0; i < len; i++) {
                float x = reference[start + i];
                float allowed = switch (t.type()) {
                    case F32 -> 0f;
                    case F16 -> Math.abs(x) * 0x1p-11f + 0x1p-24f;
                    case BF16 -> Math.abs(x) * 0x1p-8f;
                    case Q8_0 -> amax / 127 * 0.55f;
                    case Q4_0 -> amax / 8 * 1.05f;
                    default -> throw new AssertionError("unexpected type " + t.type() + " in " + t.name());
                };
                assertThat(Math.abs(decoded[start + i] - x)).as("%s element %s", t.name(), start + i)
                        .isLessThanOrEqualTo(allowed);
            }
        }
    }
}
