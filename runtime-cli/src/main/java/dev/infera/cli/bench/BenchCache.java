package dev.infera.cli.bench;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.gguf.GgufFile;
import dev.infera.core.synth.SynthModel;
import dev.infera.core.synth.SynthPreset;
import dev.infera.core.synth.SynthWriter;
import dev.infera.core.tokenizer.SyntheticBpeVocabulary;
import dev.infera.core.tokenizer.TokenizerGguf;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;

/**
 * The folder where {@code infera bench} keeps what it makes once and reuses: synthetic models and
 * the measured memory bandwidth. By default {@code $XDG_CACHE_HOME/infera}, else
 * {@code ~/.cache/infera}.
 *
 * <p>Every file appears atomically: it is written under a unique temporary name in the same folder
 * and renamed into place, so a run that is interrupted, or two runs at once, never leave a partial
 * file under the final name. A cached model that cannot be opened is made again.
 */
public final class BenchCache {

    /** Bumped when synthetic files made by an older version must not be reused. */
    static final String FORMAT_TAG = "v1";

    private final Path folder;

    public BenchCache(Path folder) {
        this.folder = folder;
    }

    /** The default folder for this user, from the environment. */
    public static BenchCache forUser(Map<String, String> env) {
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return new BenchCache(base.resolve("infera"));
    }

    public Path folder() {
        return folder;
    }

    /**
     * The synthetic model of {@code preset} with matrices of {@code dtype}, made (and reported on
     * {@code log}) if it is not cached yet. Its tokenizer is a synthetic byte-level BPE vocabulary of
     * the preset's size.
     */
    public Path syntheticModel(SynthPreset preset, GgmlType dtype, long seed, int threads, PrintStream log) {
        Path target = folder.resolve(String.format(Locale.ROOT, "synth-%s-%s-seed%d-%s.gguf", preset.name(),
                dtype.name().toLowerCase(Locale.ROOT), seed, FORMAT_TAG));
        if (Files.isRegularFile(target) && opens(target)) {
            return target;
        }
        log.printf(Locale.ROOT, "infera bench: making the synthetic %s %s model once (cached as %s)...%n",
                preset.name(), dtype.name().toLowerCase(Locale.ROOT), target);
        long start = System.nanoTime();
        var tokenizer = TokenizerGguf.toMetadata(SyntheticBpeVocabulary.build(preset.vocabSize()));
        writeAtomically(target, tmp -> new SynthWriter(new SynthModel(preset, dtype), seed, threads).write(tmp,
                tokenizer));
        log.printf(Locale.ROOT, "infera bench: made %s (%,d bytes) in %.1f s%n", target.getFileName(),
                target.toFile().length(), (System.nanoTime() - start) / 1e9);
        return target;
    }

    private static boolean opens(Path gguf) {
        try (GgufFile f = GgufFile.open(gguf)) {
            return !f.tensors().isEmpty();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** A small text file of the cache, or null when it is missing. */
    public String readText(String name) {
        Path p = folder.resolve(name);
        try {
            return Files.isRegularFile(p) ? Files.readString(p) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Stores a small text file in the cache (atomically). */
    public void writeText(String name, String text) {
        writeAtomically(folder.resolve(name), tmp -> {
            try {
                Files.writeString(tmp, text);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + tmp + ": " + e.getMessage(), e);
            }
        });
    }

    private void writeAtomically(Path target, java.util.function.Consumer<Path> writer) {
        Path tmp = null;
        try {
            Files.createDirectories(folder);
            tmp = Files.createTempFile(folder, target.getFileName().toString() + ".", ".tmp");
            writer.accept(tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + " in the bench cache: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The failure that got us here matters more than a leftover temporary file.
                }
            }
        }
    }
}
