package dev.infera.core.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.testing.SharedModels;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading a real GGUF file and writing it back with the same content gives the same bytes. */
class GgufWriterRoundTripTest {

    /** Copies {@code src} through the writer into memory. */
    static byte[] rewrite(GgufFile src) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GgufWriter w = GgufWriter.to(Channels.newChannel(bytes), "copy of " + src.source(), src.version())) {
            w.putAll(src.metadata());
            for (GgufTensorInfo t : src.tensors()) {
                w.addTensor(t.name(), t.type(), t.shape());
            }
            for (GgufTensorInfo t : src.tensors()) {
                // Stream each tensor in uneven pieces, as a generator would.
                MemorySegment data = src.tensorData(t);
                w.writeTensor(t.name(), sink -> {
                    long done = 0;
                    long piece = 1000;
                    while (done < data.byteSize()) {
                        long n = Math.min(piece, data.byteSize() - done);
                        sink.write(data.asSlice(done, n));
                        done += n;
                        piece = piece * 3 + 7;
                    }
                });
            }
        }
        return bytes.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "stories260K.gguf",
        "derived/stories260K-llamacpp/stories260K-F16.gguf",
        "derived/stories260K-llamacpp/stories260K-BF16.gguf",
        "derived/stories260K-llamacpp/stories260K-Q8_0.gguf",
        "derived/stories260K-llamacpp/stories260K-Q4_0.gguf",
        "vocab/ggml-vocab-llama-spm.gguf",
        "vocab/ggml-vocab-phi-3.gguf",
        "vocab/ggml-vocab-gpt-2.gguf",
        "vocab/ggml-vocab-gpt-neox.gguf",
        "vocab/ggml-vocab-bert-bge.gguf",
        "vocab/ggml-vocab-baichuan.gguf",
    })
    void rewriteIsByteIdentical(String relative) throws Exception {
        Path path = SharedModels.file(relative);
        byte[] original = Files.readAllBytes(path);
        byte[] copy;
        try (GgufFile f = GgufFile.open(path)) {
            copy = rewrite(f);
        }
        assertThat(copy.length).as("size of rewritten " + relative).isEqualTo(original.length);
        int firstDiff = Arrays.mismatch(copy, original);
        assertThat(firstDiff).as("first differing byte of rewritten " + relative).isEqualTo(-1);
    }

    /** The dbrx vocab repeats an identical key; the copy holds it once and is otherwise the same. */
    @Test
    void rewriteOfFileWithRepeatedKeyKeepsContent() {
        try (GgufFile f = GgufFile.open(SharedModels.file("vocab/dbrx-2024-05/ggml-vocab-dbrx.gguf"))) {
            assertThat(f.metadata().keys()).hasSize(24);
            byte[] copy = rewrite(f);
            GgufFile back = GgufFile.parse(MemorySegment.ofArray(copy), "copy");
            assertThat(back.metadata().asMap()).containsExactlyEntriesOf(f.metadata().asMap());
            assertThat(copy.length).isEqualTo(f.fileSize() - (8 + "general.file_type".length() + 4 + 4));
        }
    }
}
