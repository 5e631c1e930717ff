package dev.infera.core.model;

import dev.infera.core.gguf.GgufFile;
import java.nio.file.Path;

/**
 * A model opened from a GGUF file: its configuration, its checked weights (zero-copy views of the
 * memory-mapped file) and the file itself, for readers of further metadata such as the tokenizer.
 * Closing it unmaps the file, so every backend built on the weights must be closed first.
 */
public final class LoadedModel implements AutoCloseable {

    private final GgufFile file;
    private final ModelConfig config;
    private final ModelWeights weights;

    private LoadedModel(GgufFile file, ModelConfig config, ModelWeights weights) {
        this.file = file;
        this.config = config;
        this.weights = weights;
    }

    /**
     * Opens and checks a model; a {@link dev.infera.api.ModelFormatException} names what is wrong (the
     * file is closed again in that case).
     */
    public static LoadedModel open(Path path) {
        GgufFile file = GgufFile.open(path);
        try {
            return of(file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** A model over an already opened file; closing the model closes the file. */
    public static LoadedModel of(GgufFile file) {
        long embeddingRows = file.findTensor("token_embd.weight").map(t -> t.dim(1)).orElse(0L);
        ModelConfig config = ModelConfig.fromMetadata(file.metadata(), embeddingRows);
        return new LoadedModel(file, config, ModelWeights.load(config, TensorSource.of(file)));
    }

    public GgufFile gguf() {
        return file;
    }

    public ModelConfig config() {
        return config;
    }

    public ModelWeights weights() {
        return weights;
    }

    @Override
    public void close() {
        file.close();
    }
}
