package dev.infera.cli.bench;

import dev.infera.core.gguf.GgufFile;
import dev.infera.core.model.ModelConfig;
import dev.infera.core.tokenizer.TokenizerGguf;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the benchmark needs to know about a model before it starts an engine: a one-line description,
 * the context length (to reject a workload that cannot fit), the weight bytes a step reads, and the
 * token ids prompts may be drawn from.
 */
public record ModelInfo(Path path, String description, int contextLength, long weightBytesPerStep,
        int[] tokenPool) {

    /** Reads the model's header and tokenizer; a bad file gives a {@code ModelFormatException}. */
    public static ModelInfo read(Path path) {
        try (GgufFile gguf = GgufFile.open(path)) {
            ModelConfig c = ModelConfig.fromMetadata(gguf.metadata());
            int[] pool = Workload.tokenPool(TokenizerGguf.read(gguf.metadata()));
            String description = String.format(Locale.ROOT, "%s (%s, %d layers, width %d, vocab %d, %.1f MB)",
                    path.getFileName(), c.architecture().ggufName(), c.numLayers(),
                    c.embeddingLength(), c.vocabSize(), gguf.fileSize() / 1e6);
            return new ModelInfo(path, description, c.contextLength(), WeightTraffic.bytesPerStep(gguf), pool);
        }
    }
}
