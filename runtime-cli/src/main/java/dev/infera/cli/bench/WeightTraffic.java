package dev.infera.cli.bench;

import dev.infera.core.gguf.GgufFile;
import dev.infera.core.gguf.GgufTensorInfo;

/**
 * Bytes of weights one model step reads from memory: every tensor of the file once, except the token
 * embedding, of which a step reads only the rows of its tokens — unless the model has no separate
 * {@code output.weight}, in which case the output projection reads the whole embedding matrix. This
 * is the numerator of the decode roofline: a decode step cannot be faster than these bytes divided
 * by the memory bandwidth.
 */
public final class WeightTraffic {

    static final String TOKEN_EMBEDDING = "token_embd.weight";
    static final String OUTPUT = "output.weight";

    private WeightTraffic() {
    }

    /** The bytes of weights a step of the model in {@code gguf} reads. */
    public static long bytesPerStep(GgufFile gguf) {
        boolean tied = gguf.findTensor(OUTPUT).isEmpty();
        long bytes = 0;
        for (GgufTensorInfo t : gguf.tensors()) {
            if (!t.name().equals(TOKEN_EMBEDDING) || tied) {
                bytes += t.byteSize();
            }
        }
        return bytes;
    }
}
