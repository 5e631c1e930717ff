package dev.infera.core.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.gguf.GgufArray;
import dev.infera.core.gguf.GgufFile;
import dev.infera.core.gguf.GgufTensorInfo;
import dev.infera.core.gguf.GgufValue;
import dev.infera.core.gguf.GgufValueType;
import dev.infera.core.model.ModelArchitecture;
import dev.infera.core.model.LoadedModel;
import dev.infera.core.model.ModelWeights;
import dev.infera.core.quant.Dequantize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthWriterTest {

    /** A minimal tokenizer: n made-up tokens. */
    static Map<String, GgufValue> tokenizer(int n) {
        String[] tokens = new String[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = "t" + i;
            types[i] = 1;
        }
        Map<String, GgufValue> md = new LinkedHashMap<>();
        md.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        md.put("tokenizer.ggml.tokens", GgufValue.ofArray(new GgufArray(GgufValueType.STRING, tokens)));
        md.put("tokenizer.ggml.token_type", GgufValue.ofArray(new GgufArray(GgufValueType.INT32, types)));
        return md;
    }

    private static Path synth(Path dir, String name, SynthPreset preset, GgmlType dtype, long seed, int threads) {
        Path p = dir.resolve(name);
        new SynthWriter(new SynthModel(preset, dtype), seed, threads).write(p, tokenizer(preset.vocabSize()));
        return p;
    }

    /** Loads the file through the model loader, which checks every tensor's name, type and shape. */
    private static ModelWeights load(GgufFile f) {
        return LoadedModel.of(f).weights();
    }

    private static double[] meanStd(float[] v) {
        double sum = 0;
        double sum2 = 0;
        for (float x : v) {
            sum += x;
            sum2 += (double) x * x;
        }
        double mean = sum / v.length;
        return new double[] {mean, Math.sqrt(sum2 / v.length - mean * mean)};
    }

    private static float[] values(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name);
        return Dequantize.all(t.type(), f.tensorData(t), (int) t.numElements());
    }

    @Test
    void tinyLlamaHasStandardKeysTensorsAndValues(@TempDir Path dir) {
        SynthPreset p = SynthPreset.TINY;
        try (GgufFile f = GgufFile.open(synth(dir, "tiny.gguf", p, GgmlType.F32, 1, 2))) {
            var md = f.metadata();
            assertThat(md.getString("general.architecture")).isEqualTo("llama");
            assertThat(md.getInt("general.file_type")).isZero();
            assertThat(md.contains("general.quantization_version")).isFalse();
            assertThat(md.getInt("llama.embedding_length")).isEqualTo(64);
            assertThat(md.getInt("llama.feed_forward_length")).isEqualTo(128);
            assertThat(md.getInt("llama.block_count")).isEqualTo(2);
            assertThat(md.getInt("llama.attention.head_count")).isEqualTo(4);
            assertThat(md.getInt("llama.attention.head_count_kv")).isEqualTo(2);
            assertThat(md.getInt("llama.rope.dimension_count")).isEqualTo(16);
            assertThat(md.getInt("llama.vocab_size")).isEqualTo(512);
            assertThat(md.getFloat("llama.rope.freq_base")).isEqualTo(1e4f);
            assertThat(md.getStringArray("tokenizer.ggml.tokens")).hasSize(512);

            ModelWeights w = load(f);
            assertThat(w.config().architecture()).isEqualTo(ModelArchitecture.LLAMA);
            assertThat(w.outputTied()).isFalse();
            assertThat(f.tensors()).hasSize(1 + 2 * 9 + 2);
            assertThat(f.tensor("blk.1.attn_k.weight").shape()).containsExactly(64, 32);
            assertThat(f.tensor("blk.0.ffn_down.weight").shape()).containsExactly(128, 64);
            assertThat(f.tensor("output.weight").shape()).containsExactly(64, 512);

            assertThat(values(f, "blk.0.ffn_norm.weight")).containsOnly(1f);
            double[] emb = meanStd(values(f, "token_embd.weight"));
            assertThat(emb[0]).isCloseTo(0, within(0.0005));
            assertThat(emb[1]).isCloseTo(0.02, within(0.0005));
            double[] ffn = meanStd(values(f, "blk.1.ffn_up.weight"));
            assertThat(ffn[1]).isCloseTo(0.02, within(0.001));
            // Distinct tensors get distinct values.
            assertThat(values(f, "blk.0.attn_q.weight")).isNotEqualTo(values(f, "blk.0.attn_output.weight"));
        }
    }

    @Test
    void qwen2HasBiasesAndTiedOutput(@TempDir Path dir) {
        try (GgufFile f = GgufFile.open(synth(dir, "q.gguf", SynthPreset.TINY_QWEN2, GgmlType.Q8_0, 3, 2))) {
            assertThat(f.metadata().getString("general.architecture")).isEqualTo("qwen2");
            assertThat(f.metadata().getInt("general.file_type")).isEqualTo(7);
            assertThat(f.metadata().getInt("general.quantization_version")).isEqualTo(2);
            assertThat(f.metadata().getFloat("qwen2.attention.layer_norm_rms_epsilon")).isEqualTo(1e-6f);
            ModelWeights w = load(f);
            assertThat(w.outputTied()).isTrue();
            assertThat(f.findTensor("output.weight")).isEmpty();
            assertThat(f.tensor("blk.0.attn_k.bias").type()).isEqualTo(GgmlType.F32);
            assertThat(f.tensor("blk.0.attn_k.bias").shape()).containsExactly(32);
            assertThat(f.tensor("token_embd.weight").type()).isEqualTo(GgmlType.Q8_0);
            assertThat(f.tensor("blk.1.ffn_gate.weight").type()).isEqualTo(GgmlType.Q8_0);
            assertThat(f.tensor("output_norm.weight").type()).isEqualTo(GgmlType.F32);
            double[] q = meanStd(values(f, "token_embd.weight"));
            assertThat(q[1]).isCloseTo(0.02, within(0.0006));
        }
    }

    @Test
    void realWidthPresetWithOneLayer(@TempDir Path dir) {
        SynthPreset p = SynthPreset.SMOLLM2_135M.withLayers(1);
        try (GgufFile f = GgufFile.open(synth(dir, "s.gguf", p, GgmlType.Q4_0, 9, 2))) {
            ModelWeights w = load(f);
            assertThat(w.config().vocabSize()).isEqualTo(49152);
            assertThat(w.config().numKvHeads()).isEqualTo(3);
            assertThat(f.tensor("token_embd.weight").shape()).containsExactly(576, 49152);
            assertThat(f.tensor("blk.0.attn_v.weight").shape()).containsExactly(576, 192);
            assertThat(f.metadata().getInt("general.file_type")).isEqualTo(2);
            double[] s = meanStd(values(f, "blk.0.ffn_down.weight"));
            // Q4_0 rounding adds noise; the spread stays close to 0.02.
            assertThat(s[1]).isCloseTo(0.02, within(0.002));
        }
    }

    @Test
    void sameSeedGivesTheSameBytesWhateverTheThreadCount(@TempDir Path dir) throws Exception {
        SynthPreset p = SynthPreset.TINY.withLayers(3);
        byte[] a = Files.readAllBytes(synth(dir, "a.gguf", p, GgmlType.Q4_0, 77, 1));
        byte[] b = Files.readAllBytes(synth(dir, "b.gguf", p, GgmlType.Q4_0, 77, 3));
        byte[] c = Files.readAllBytes(synth(dir, "c.gguf", p, GgmlType.Q4_0, 78, 2));
        assertThat(a).isEqualTo(b);
        assertThat(a).hasSameSizeAs(c).isNotEqualTo(c);
        assertThat(dir.resolve("a.gguf.part")).doesNotExist();
    }

    @Test
    void everyDtypeWritesALoadableFile(@TempDir Path dir) {
        for (GgmlType t : List.of(GgmlType.F16, GgmlType.BF16, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
                GgmlType.Q6_K)) {
            try (GgufFile f = GgufFile.open(synth(dir, t + ".gguf", SynthPreset.TINY, t, 5, 2))) {
                load(f);
                // Rows of 64 are not whole K blocks: Q6_K falls back to Q8_0, as llama.cpp's quantizer does.
                GgmlType expected = t == GgmlType.Q6_K ? GgmlType.Q8_0 : t;
                assertThat(f.tensor("blk.0.attn_q.weight").type()).as(t.name()).isEqualTo(expected);
                assertThat(meanStd(values(f, "token_embd.weight"))[1]).as(t.name()).isCloseTo(0.02, within(0.002));
            }
        }
    }

    @Test
    void rejectsMismatchedTokenizerAndBadArguments(@TempDir Path dir) {
        SynthWriter w = new SynthWriter(new SynthModel(SynthPreset.TINY, GgmlType.F16), 1, 1);
        assertThatThrownBy(() -> w.write(dir.resolve("x.gguf"), tokenizer(100)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("100 tokens");
        assertThat(dir.resolve("x.gguf")).doesNotExist();
        assertThatThrownBy(() -> new SynthModel(SynthPreset.TINY, GgmlType.IQ2_XS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IQ2_XS");
        assertThatThrownBy(() -> SynthPreset.byName("gpt-5")).hasMessageContaining("smollm2-135m");
        assertThatThrownBy(() -> new SynthWriter(new SynthModel(SynthPreset.TINY, GgmlType.F16), 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.write(dir, tokenizer(512))).hasMessageContaining("directory");
    }
}
