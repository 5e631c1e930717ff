package dev.infera.core.model;

import dev.infera.core.gguf.GgufFile;
import dev.infera.core.gguf.GgufTensorInfo;
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

    /** The tensors of a GGUF file, as zero-copy views of its mapping. */
    static TensorSource of(GgufFile file) {
        return name -> {
            GgufTensorInfo info = file.findTensor(name).orElse(null);
            return info == null ? null : new ModelTensor(name, info.type(), info.shape(), file.tensorData(info));
        };
    }
}
