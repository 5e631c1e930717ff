package dev.infera.cli;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.gguf.GgufValue;
import dev.infera.core.synth.SynthModel;
import dev.infera.core.synth.SynthPreset;
import dev.infera.core.synth.SynthVocabulary;
import dev.infera.core.synth.SynthWriter;
import dev.infera.core.tokenizer.SyntheticBpeVocabulary;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code infera synth}: writes a synthetic-weight model at a real model's shapes, for benchmarks and
 * large-shape tests. The weights are random (seeded) but the file is a regular GGUF model.
 */
final class SynthCommand implements Command {

    @Override
    public String name() {
        return "synth";
    }

    @Override
    public String summary() {
        return "write a synthetic-weight GGUF model at a real model's shapes";
    }

    @Override
    public String usage() {
        return "infera synth --preset NAME --dtype TYPE --out FILE [--seed N] [--tokenizer FILE]";
    }

    @Override
    public List<Option> options() {
        return List.of(
                Option.value("--preset", "NAME", "model shape: " + SynthPreset.names()),
                Option.value("--dtype", "TYPE", "matrix type: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k"),
                Option.value("--out", "FILE", "GGUF file to write (replaced if it exists)"),
                Option.value("--seed", "N", "random seed (default 42); the same seed gives the same file"),
                Option.value("--tokenizer", "FILE", "copy the tokenizer of a GGUF file, tokenizer.json, vocab.json+merges.txt "
                        + "folder or tiktoken file (default: a built-in byte-level BPE of the preset's size)"),
                Option.value("--layers", "N", "override the preset's layer count"),
                Option.value("--vocab", "N", "override the preset's vocabulary size (rows of the embedding and output "
                        + "matrices); a copied tokenizer with more tokens still wins"),
                Option.value("--threads", "N", "worker threads (default: all cores)"));
    }

    @Override
    public int run(Options options, PrintStream out, PrintStream err) {
        SynthPreset preset;
        try {
            preset = SynthPreset.byName(options.require("--preset"));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        GgmlType dtype = dtype(options.require("--dtype"));
        Path target = Path.of(options.require("--out"));
        long seed = options.longValue("--seed", 42);
        int threads = options.threads();
        if (options.has("--layers")) {
            int layers = options.intValue("--layers", preset.numLayers());
            if (layers < 1) {
                throw new CliException("option --layers must be at least 1, got " + layers);
            }
            preset = preset.withLayers(layers);
        }
        if (options.has("--vocab")) {
            int vocab = options.intValue("--vocab", preset.vocabSize());
            if (vocab < SyntheticBpeVocabulary.MIN_SIZE) {
                throw new CliException("option --vocab must be at least " + SyntheticBpeVocabulary.MIN_SIZE
                        + " (256 byte tokens and the special tokens), got " + vocab);
            }
            preset = preset.withVocabSize(vocab);
        }
        if (Files.isDirectory(target)) {
            throw new CliException("--out must name a file, but " + target + " is a directory");
        }
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new CliException("folder of --out does not exist: " + parent);
        }
        Map<String, GgufValue> tokenizer = options.has("--tokenizer")
                ? SynthVocabulary.load(options.existingPath("--tokenizer"))
                : SynthVocabulary.synthetic(preset.vocabSize());
        int tokens = SynthVocabulary.tokenCount(tokenizer);
        if (tokens > preset.vocabSize()) {
            preset = preset.withVocabSize(tokens);
        }
        tokenizer = SynthVocabulary.padTo(tokenizer, preset.vocabSize());

        SynthModel model = new SynthModel(preset, dtype);
        long start = System.nanoTime();
        new SynthWriter(model, seed, threads).write(target, tokenizer);
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes = target.toFile().length();
        out.printf(Locale.ROOT, "wrote %s: %s (%s, %d layers, vocab %d), %s, %,d parameters, %,d bytes in %.1f s "
                        + "(%.0f MB/s)%n", target, preset.name(), preset.architecture(), preset.numLayers(),
                preset.vocabSize(), dtype, model.totalParameters(), bytes, seconds, bytes / seconds / 1e6);
        return 0;
    }

    private static GgmlType dtype(String name) {
        try {
            GgmlType t = GgmlType.valueOf(name.toUpperCase(Locale.ROOT));
            new SynthModel(SynthPreset.TINY, t);
            return t;
        } catch (IllegalArgumentException e) {
            throw new CliException("unsupported --dtype '" + name
                    + "' (supported: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k)");
        }
    }
}
