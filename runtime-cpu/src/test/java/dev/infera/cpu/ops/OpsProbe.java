package dev.infera.cpu.ops;

import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.model.RopeType;
import java.lang.management.ManagementFactory;
import java.util.Random;
import jdk.incubator.vector.FloatVector;

/**
 * A measuring tool, not a test: thread CPU time and bytes allocated per call of the Vector API
 * attention and element-wise kernels at SmolLM2-135M shapes (head 64, 3 query heads per KV head,
 * width 576, FFN 1536), with the attention and element-wise kernels in separate copies as the
 * backend builds them (siluMul's time includes restoring its input). Boxed vectors show up as allocated bytes. Run from the repository root after
 * {@code ./mvnw -q -o test-compile -pl runtime-cpu -am}:
 * <pre>
 * $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -cp runtime-cpu/target/test-classes:runtime-cpu/target/classes:runtime-core/target/classes:runtime-api/target/classes dev.infera.cpu.ops.OpsProbe
 * </pre>
 */
public final class OpsProbe {

    private static final int HEAD_DIM = 64;
    private static final int GROUP = 3;
    private static final int NUM_KV_HEADS = 3;
    private static final int BLOCK_SIZE = 16;
    private static final int MAX_CONTEXT = 400;
    private static final int DIM = 576;
    private static final int FFN = 1536;

    private OpsProbe() {
    }

    public static void main(String[] args) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Random rnd = new Random(1);
        int numBlocks = MAX_CONTEXT / BLOCK_SIZE + 1;
        int[] table = new int[numBlocks];
        for (int i = 0; i < numBlocks; i++) {
            table[i] = numBlocks - 1 - i;
        }
        int kvDim = NUM_KV_HEADS * HEAD_DIM;
        float[] q = ElementwiseOpsTest.gaussian(rnd, GROUP * HEAD_DIM, 1f);
        float[] kv = ElementwiseOpsTest.gaussian(rnd, kvDim, 1f);
        float[] scores = new float[AttentionKernel.scratchFloats(1, GROUP, MAX_CONTEXT, BLOCK_SIZE)];
        float[] out = new float[GROUP * HEAD_DIM];
        float[] x = ElementwiseOpsTest.gaussian(rnd, DIM, 1f);
        float[] weight = ElementwiseOpsTest.gaussian(rnd, DIM, 1f);
        float[] xb = new float[DIM];
        float[] gate = ElementwiseOpsTest.gaussian(rnd, FFN, 1f);
        float[] up = ElementwiseOpsTest.gaussian(rnd, FFN, 1f);
        float[] qRope = ElementwiseOpsTest.gaussian(rnd, 9 * HEAD_DIM, 1f);
        float[] pairCos = new float[HEAD_DIM / 2];
        float[] pairSin = new float[HEAD_DIM / 2];
        for (int i = 0; i < HEAD_DIM / 2; i++) {
            double angle = rnd.nextDouble() * 2 * Math.PI;
            pairCos[i] = (float) Math.cos(angle);
            pairSin[i] = (float) Math.sin(angle);
        }
        float[] cos = new float[HEAD_DIM];
        float[] sin = new float[HEAD_DIM];
        ElementwiseOps.ropeTable(RopeType.NORM, pairCos, pairSin, cos, sin, 0);
        float[] gateInput = gate.clone();
        AttentionKernel attention = SimdKernels.attention(FloatVector.SPECIES_PREFERRED);
        ElementwiseOps ops = SimdKernels.elementwise(FloatVector.SPECIES_PREFERRED);
        try (PagedKvCache cache = new PagedKvCache(new KvCacheLayout(1, NUM_KV_HEADS, HEAD_DIM, numBlocks,
                BLOCK_SIZE, 4))) {
            for (int pos = 0; pos < MAX_CONTEXT; pos++) {
                cache.write(0, table[pos / BLOCK_SIZE] * BLOCK_SIZE + pos % BLOCK_SIZE, kv, 0, kv, 0);
            }
            int reps = 2000;
            String[] names = {"attend 1 head", "attend 3 heads", "rmsNorm 576", "rope 9x64", "siluMul 1536",
                "add 576"};
            for (int round = 0; round < 12; round++) {
                StringBuilder line = new StringBuilder();
                for (int kernel = 0; kernel < names.length; kernel++) {
                    long bytes0 = threads.getCurrentThreadAllocatedBytes();
                    long t0 = threads.getCurrentThreadCpuTime();
                    for (int rep = 0; rep < reps; rep++) {
                        int context = 1 + rep % MAX_CONTEXT;
                        switch (kernel) {
                            case 0 -> attention.attend(q, 0, 0, 1, 1, cache, 0, 1, table, context, 0.125f, scores,
                                    out, 0);
                            case 1 -> attention.attend(q, 0, 0, 1, GROUP, cache, 0, 1, table, context, 0.125f,
                                    scores, out, 0);
                            case 2 -> ops.rmsNorm(x, 0, weight, 1e-5f, xb, 0, DIM);
                            case 3 -> ops.rope(qRope, 0, 9, HEAD_DIM, HEAD_DIM, RopeType.NORM, cos, sin, 0);
                            case 4 -> {
                                System.arraycopy(gateInput, 0, gate, 0, FFN);
                                ops.siluMul(gate, 0, up, 0, FFN);
                            }
                            default -> ops.add(xb, 0, x, 0, DIM);
                        }
                    }
                    long t1 = threads.getCurrentThreadCpuTime();
                    long bytes = threads.getCurrentThreadAllocatedBytes() - bytes0;
                    line.append(String.format("%s %8.0f ns %6d B | ", names[kernel], (double) (t1 - t0) / reps,
                            bytes / reps));
                }
                if (round >= 9) {
                    System.out.println(line);
                }
            }
        }
    }
}
