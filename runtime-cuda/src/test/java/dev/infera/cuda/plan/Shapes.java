package dev.infera.cuda.plan;

import dev.infera.core.backend.KvCacheLayout;
import java.util.Collections;

/** Model shapes at real sizes for planner tests (no weights needed). */
final class Shapes {

    private Shapes() {
    }

    /** Llama-3.2-1B: width 2048, 16 layers, 32 heads over 8 KV heads of 64, FFN 8192, tied 128256 vocab. */
    static ModelShape llama1b(WeightFormat f) {
        return new ModelShape(2048, 16, 32, 8, 64, 8192, 128256, 64, false, 1e-5f, false, f, f, true,
                Collections.nCopies(16, new ModelShape.LayerFormats(f, f, f, f)), f == WeightFormat.F32 ? KvType.F32 : KvType.BF16);
    }

    /** Qwen2.5-0.5B: width 896, 24 layers, 14 heads over 2 KV heads of 64, Q/K/V bias, NEOX RoPE. */
    static ModelShape qwen05b(WeightFormat f) {
        return new ModelShape(896, 24, 14, 2, 64, 4864, 151936, 64, true, 1e-6f, true, f, f, true,
                Collections.nCopies(24, new ModelShape.LayerFormats(f, f, f, f)), f == WeightFormat.F32 ? KvType.F32 : KvType.BF16);
    }

    /** stories260K: width 64, 5 layers, 8 heads over 4 KV heads of 8, FFN 172, F32. */
    static ModelShape stories260k() {
        WeightFormat f = WeightFormat.F32;
        return new ModelShape(64, 5, 8, 4, 8, 172, 512, 8, false, 1e-5f, false, f, f, false,
                Collections.nCopies(5, new ModelShape.LayerFormats(f, f, f, f)), KvType.F32);
    }

    static KvCacheLayout kv(ModelShape m, int numBlocks, int blockSize) {
        return new KvCacheLayout(m.numLayers(), m.numKvHeads(), m.headDim(), numBlocks, blockSize, m.kvType().bytes());
    }

    static StepPlanner planner(ModelShape m, int numBlocks, int blockSize) {
        return new StepPlanner(m, kv(m, numBlocks, blockSize), AttentionConfig.choose(m), 64L << 20);
    }
}
