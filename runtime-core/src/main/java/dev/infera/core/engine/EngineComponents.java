package dev.infera.core.engine;

import dev.infera.core.backend.ExecutionBackend;
import dev.infera.core.tokenizer.Tokenizer;

/**
 * What an engine runs on, once loaded: the backend, the model's tokenizer and the numbers the engine
 * needs from the model. {@code resources} is closed after the backend when the engine closes (the
 * memory-mapped model file, for instance); null when there is nothing to close.
 *
 * @param vocabSize     logits per row the backend returns
 * @param contextLength most positions one sequence may use
 * @param eosTokenIds   tokens that end generation unless a request ignores them
 * @param description   one line naming the model and backend for logs
 */
public record EngineComponents(ExecutionBackend backend, Tokenizer tokenizer, int vocabSize, int contextLength,
        int[] eosTokenIds, AutoCloseable resources, String description) {

    public EngineComponents {
        if (backend == null || tokenizer == null || eosTokenIds == null) {
            throw new IllegalArgumentException("backend, tokenizer and eosTokenIds must not be null");
        }
        if (vocabSize < 1 || contextLength < 2) {
            throw new IllegalArgumentException("vocabSize must be >= 1 and contextLength >= 2, got " + vocabSize
                    + " and " + contextLength);
        }
        eosTokenIds = eosTokenIds.clone();
    }
}
