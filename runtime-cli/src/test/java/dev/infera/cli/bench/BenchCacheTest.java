package dev.infera.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.infera.core.gguf.GgmlType;
import dev.infera.core.gguf.GgufFile;
import dev.infera.core.synth.SynthPreset;
import dev.infera.core.tokenizer.TokenizerGguf;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCacheTest {

    @Test
    void folderFollowsXdgCacheHomeElseTheHomeCache() {
        assertThat(BenchCache.forUser(Map.of("XDG_CACHE_HOME", "/x/cache")).folder()).isEqualTo(Path.of("/x/cache/infera"));
        assertThat(BenchCache.forUser(Map.of()).folder())
                .isEqualTo(Path.of(System.getProperty("user.home"), ".cache", "infera"));
    }

    @Test
    void aSyntheticModelIsMadeOnceAtomicallyAndRemadeWhenDamaged(@TempDir Path dir) throws Exception {
        BenchCache cache = new BenchCache(dir.resolve("sub"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream logStream = new PrintStream(log, true, StandardCharsets.UTF_8);
        Path model = cache.syntheticModel(SynthPreset.TINY, GgmlType.Q8_0, 42, 1, logStream);
        assertThat(model.getParent()).isEqualTo(dir.resolve("sub"));
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("making the synthetic tiny q8_0 model once");
        try (GgufFile f = GgufFile.open(model)) {
            assertThat(f.tensor("blk.0.attn_q.weight").type()).isEqualTo(GgmlType.Q8_0);
            assertThat(TokenizerGguf.read(f.metadata()).size()).isEqualTo(SynthPreset.TINY.vocabSize());
        }
        try (Stream<Path> files = Files.list(model.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(model.getFileName().toString());
        }
        FileTime made = FileTime.fromMillis(1_000_000);
        Files.setLastModifiedTime(model, made);
        log.reset();
        assertThat(cache.syntheticModel(SynthPreset.TINY, GgmlType.Q8_0, 42, 1, logStream)).isEqualTo(model);
        assertThat(Files.getLastModifiedTime(model)).isEqualTo(made);
        assertThat(log.size()).isZero();

        Files.write(model, new byte[] {'G', 'G', 'U', 'F', 3, 0});
        cache.syntheticModel(SynthPreset.TINY, GgmlType.Q8_0, 42, 1, logStream);
        try (GgufFile f = GgufFile.open(model)) {
            assertThat(f.tensors()).isNotEmpty();
        }
    }

    @Test
    void bandwidthIsMeasuredOnceAndThenReadFromTheCache(@TempDir Path dir) {
        assertThat(BandwidthProbe.measure(2, 8L << 20, 1)).isPositive().isFinite();
        BenchCache cache = new BenchCache(dir);
        cache.writeText("bandwidth-3threads.txt", "12.5\n");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        assertThat(BandwidthProbe.cachedOrMeasure(cache, 3, new PrintStream(log))).isEqualTo(12.5);
        assertThat(log.size()).isZero();
        assertThat(cache.readText("missing.txt")).isNull();
    }
}
