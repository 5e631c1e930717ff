package dev.infera.core.model;

import java.util.Map;

/** Looks up a model's tensors by their GGUF name; decouples the model definition from the file format. */
@FunctionalInterface
public interface TensorSource {

    /** The tensor with this name, or null when the model has none. */
    ModelTensor find(String name);

    static TensorSource of(Map<String, ModelTensor> tensors) {
        Map<String, ModelTensor> copy = Map.copyOf(tensors);
        return copy::get;
    }
}
