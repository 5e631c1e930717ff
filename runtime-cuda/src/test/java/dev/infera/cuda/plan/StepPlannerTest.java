package dev.infera.cuda.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.core.backend.KvCacheLayout;
import dev.infera.cuda.driver.Cublas;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The launches the planner makes for decode, prefill and mixed steps, checked without a GPU. */
class StepPlannerTest {

    private static List<String> names(List<DeviceOp> ops) {
        List<String> out = new ArrayList<>();
        for (DeviceOp op : ops) {
            out.add(op instanceof DeviceOp.Launch l ? l.kernel().name() : "GEMM");
        }
        return out;
    }

    private static List<DeviceOp.Launch> launches(List<DeviceOp> ops, Kernel k) {
        return ops.stream().filter(o -> o instanceof DeviceOp.Launch l && l.kernel() == k)
                .map(o -> (DeviceOp.Launch) o).toList();
    }

    /** Ops of layer {@code l}: from its QKV product to its closing residual step. */
    private static List<String> layerOps(List<String> all, int layers, int l) {
        int perLayer = (all.size() - 4) / layers;
        return all.subList(2 + l * perLayer, 2 + (l + 1) * perLayer);
    }

    @Test
    void singleDecodeOfAQ8Model() {
        ModelShape m = Shapes.llama1b(WeightFormat.Q8_0);
        StepPlanner p = Shapes.planner(m, 1000, 16);
        StepShape s = new StepShape(1, 1, 1, 0, 1, 8);
        List<DeviceOp> ops = p.plan(s, false);
        List<String> n = names(ops);
        assertThat(n).hasSize(2 + 16 * 11 + 2);
        assertThat(n.subList(0, 2)).containsExactly("EMBED_Q8_0", "RMS_NORM");
        assertThat(layerOps(n, 16, 0)).containsExactly("MATVEC_Q8_0", "ROPE", "KV_WRITE_BF16", "ATTENTION_DECODE_BF16",
                "ATTENTION_DECODE_REDUCE", "MATVEC_Q8_0", "ADD_RMS_NORM", "MATVEC_Q8_0", "SILU_MUL", "MATVEC_Q8_0",
                "ADD_RMS_NORM");
        assertThat(n.get(n.size() - 3)).isEqualTo("RESIDUAL_ADD");
        assertThat(n.subList(n.size() - 2, n.size())).containsExactly("RMS_NORM", "MATVEC_Q8_0");
        assertThat(n).doesNotContain("GEMM", "ATTENTION_PREFILL_BF16", "ARGMAX_ROWS");

        DeviceOp.Launch qkv = launches(ops, Kernel.MATVEC_Q8_0).getFirst();
        assertThat(qkv.gridX()).isEqualTo((2048 + 2 * 512 + 3) / 4);
        assertThat(qkv.blockThreads()).isEqualTo(128);
        assertThat(qkv.args()).containsExactly(new Arg.Weight(0, WeightKind.QKV, false),
                new Arg.Weight(0, WeightKind.QKV, true), Arg.ptr(Buffer.XB), Arg.ptr(Buffer.QKV), Arg.i32(3072),
                Arg.i32(2048), Arg.i32(1));
        DeviceOp.Launch output = launches(ops, Kernel.MATVEC_Q8_0).getLast();
        assertThat(output.gridX()).isEqualTo(128256 / 4);
        assertThat(output.args().get(0)).isEqualTo(new Arg.Weight(-1, WeightKind.OUTPUT, false));
    }

    @Test
    void decodeAttentionSplitsTheContextAndFitsSharedMemory() {
        ModelShape m = Shapes.llama1b(WeightFormat.BF16);
        StepPlanner p = Shapes.planner(m, 4096, 16);
        StepShape s = new StepShape(64, 64, 64, 0, 64, 128);
        DeviceOp.Launch decode = launches(p.plan(s, false), Kernel.ATTENTION_DECODE_BF16).getFirst();
        assertThat(p.attention().partitionTokens()).isEqualTo(512);
        assertThat(decode.gridX()).isEqualTo(64);
        assertThat(decode.gridY()).isEqualTo(8);
        assertThat(decode.gridZ()).isEqualTo(128 * 16 / 512);
        assertThat(decode.sharedBytes()).isEqualTo(4 * (64 + 512) * 4).isLessThanOrEqualTo(48 * 1024);
        DeviceOp.Launch reduce = launches(p.plan(s, false), Kernel.ATTENTION_DECODE_REDUCE).getFirst();
        assertThat(reduce.gridX()).isEqualTo(64);
        assertThat(reduce.gridY()).isEqualTo(32);
        assertThat(reduce.blockThreads()).isEqualTo(64);
        assertThat(reduce.args()).contains(Arg.i32(4));
    }

    @Test
    void largeBf16PrefillUsesGemmsOnConvertedActivations() {
        ModelShape m = Shapes.llama1b(WeightFormat.BF16);
        StepPlanner p = Shapes.planner(m, 1000, 16);
        StepShape s = new StepShape(100, 1, 0, 7, 1, 7);
        List<DeviceOp> ops = p.plan(s, false);
        List<String> n = names(ops);
        assertThat(layerOps(n, 16, 3)).containsExactly("CONVERT_F32_BF16", "GEMM", "ROPE", "KV_WRITE_BF16",
                "ATTENTION_PREFILL_BF16", "CONVERT_F32_BF16", "GEMM", "ADD_RMS_NORM", "CONVERT_F32_BF16", "GEMM",
                "SILU_MUL", "CONVERT_F32_BF16", "GEMM", "ADD_RMS_NORM");
        DeviceOp.Gemm qkv = (DeviceOp.Gemm) ops.stream().filter(o -> o instanceof DeviceOp.Gemm).findFirst().orElseThrow();
        assertThat(qkv).isEqualTo(new DeviceOp.Gemm(new Arg.Weight(0, WeightKind.QKV, false), Cublas.CUDA_R_16BF,
                Arg.ptr(Buffer.GEMM_INPUT), Cublas.CUDA_R_16BF, Arg.ptr(Buffer.QKV), 3072, 100, 2048, 3072));
        DeviceOp.Launch prefill = launches(ops, Kernel.ATTENTION_PREFILL_BF16).getFirst();
        assertThat(prefill.gridX()).isEqualTo(7);
        assertThat(prefill.gridY()).isEqualTo(32);
        assertThat(prefill.sharedBytes()).isLessThanOrEqualTo(AttentionConfig.MAX_DYNAMIC_SHARED_BYTES);
        // one sample row: the output projection is a matvec even though the step is large
        assertThat(n.getLast()).isEqualTo("MATVEC_BF16");
    }

    @Test
    void quantizedGemmsExpandRowChunksThatCoverTheMatrixExactly() {
        ModelShape m = Shapes.llama1b(WeightFormat.Q4_0);
        StepPlanner p = Shapes.planner(m, 1000, 16);
        List<DeviceOp> ops = p.plan(new StepShape(32, 32, 32, 0, 32, 4), false);
        // the output matrix (128256 x 2048): chunks of 64 MiB / (2 x 2048) = 16384 rows
        List<DeviceOp> tail = ops.subList(ops.indexOf(launches(ops, Kernel.RMS_NORM).getLast()) + 1, ops.size());
        assertThat(names(tail).getFirst()).isEqualTo("CONVERT_F32_BF16");
        List<DeviceOp.Gemm> gemms = tail.stream().filter(o -> o instanceof DeviceOp.Gemm).map(o -> (DeviceOp.Gemm) o).toList();
        assertThat(gemms).hasSize(8);
        long covered = 0;
        for (DeviceOp.Gemm g : gemms) {
            assertThat(g.output()).isEqualTo(Arg.ptr(Buffer.LOGITS, 4L * covered));
            assertThat(g.ldc()).isEqualTo(128256);
            assertThat(g.weights()).isEqualTo(Arg.ptr(Buffer.DEQUANT));
            assertThat(g.n()).isEqualTo(32);
            covered += g.m();
        }
        assertThat(covered).isEqualTo(128256);
        assertThat(gemms.getFirst().m()).isEqualTo(16384);
        assertThat(launches(tail, Kernel.DEQUANT_Q4_0_BF16)).hasSize(8)
                .allSatisfy(l -> assertThat(l.gridX()).isLessThanOrEqualTo(4096));
    }

    @Test
    void f32ModelsMultiplyInF32WithoutConversion() {
        ModelShape m = Shapes.stories260k();
        StepPlanner p = Shapes.planner(m, 64, 16);
        List<DeviceOp> ops = p.plan(new StepShape(20, 2, 1, 2, 2, 2), false);
        assertThat(names(ops)).doesNotContain("CONVERT_F32_BF16", "CONVERT_F32_F16").contains("GEMM");
        DeviceOp.Gemm first = (DeviceOp.Gemm) ops.stream().filter(o -> o instanceof DeviceOp.Gemm).findFirst().orElseThrow();
        assertThat(first.weightType()).isEqualTo(Cublas.CUDA_R_32F);
        assertThat(first.input()).isEqualTo(Arg.ptr(Buffer.XB));
        // a mixed step attends with both kernels in every layer
        assertThat(launches(ops, Kernel.ATTENTION_DECODE_F32)).hasSize(5);
        assertThat(launches(ops, Kernel.ATTENTION_PREFILL_F32)).hasSize(5)
                .allSatisfy(l -> assertThat(l.gridX()).isEqualTo(2));
    }

    @Test
    void qkvBiasIsAddedAfterTheProductAndRopeIsNeox() {
        ModelShape m = Shapes.qwen05b(WeightFormat.BF16);
        List<DeviceOp> ops = Shapes.planner(m, 100, 16).plan(new StepShape(1, 1, 1, 0, 1, 1), false);
        List<String> n = names(ops);
        assertThat(layerOps(n, 24, 0).subList(0, 3)).containsExactly("MATVEC_BF16", "BIAS_ADD", "ROPE");
        DeviceOp.Launch rope = launches(ops, Kernel.ROPE).getFirst();
        assertThat(rope.args().getLast()).isEqualTo(Arg.i32(1));
        DeviceOp.Launch bias = launches(ops, Kernel.BIAS_ADD).get(5);
        assertThat(bias.args().get(1)).isEqualTo(new Arg.Weight(5, WeightKind.QKV_BIAS, false));
    }

    @Test
    void eachLayerWritesAndReadsItsOwnKvRegion() {
        ModelShape m = Shapes.stories260k();
        StepPlanner p = Shapes.planner(m, 10, 16);
        long kindStride = 10L * 4 * 16 * 8 * 4;
        List<DeviceOp.Launch> writes = launches(p.plan(new StepShape(3, 3, 3, 0, 3, 1), false), Kernel.KV_WRITE_F32);
        for (int l = 0; l < 5; l++) {
            assertThat(writes.get(l).args().get(5)).isEqualTo(Arg.ptr(Buffer.KV_CACHE, 2 * l * kindStride));
            assertThat(writes.get(l).args().get(6)).isEqualTo(Arg.ptr(Buffer.KV_CACHE, (2 * l + 1) * kindStride));
        }
    }

    @Test
    void greedyStepsEndWithTheArgmax() {
        ModelShape m = Shapes.stories260k();
        List<DeviceOp> ops = Shapes.planner(m, 10, 16).plan(new StepShape(4, 4, 4, 0, 4, 1), true);
        DeviceOp.Launch argmax = (DeviceOp.Launch) ops.getLast();
        assertThat(argmax.kernel()).isEqualTo(Kernel.ARGMAX_ROWS);
        assertThat(argmax.gridX()).isEqualTo(4);
        assertThat(argmax.blockThreads()).isEqualTo(StepPlanner.ARGMAX_THREADS);
    }

    @Test
    void noSampleRowsMeansNoLogits() {
        ModelShape m = Shapes.stories260k();
        List<String> n = names(Shapes.planner(m, 10, 16).plan(new StepShape(5, 1, 0, 1, 0, 1), false));
        assertThat(n.getLast()).isEqualTo("RESIDUAL_ADD");
    }

    @Test
    void rejectsAKvLayoutOfAnotherModel() {
        ModelShape m = Shapes.stories260k();
        KvCacheLayout bf16 = new KvCacheLayout(5, 4, 8, 10, 16, 2);
        assertThatThrownBy(() -> new StepPlanner(m, bf16, AttentionConfig.choose(m), 1 << 20))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not match the model");
    }
}
