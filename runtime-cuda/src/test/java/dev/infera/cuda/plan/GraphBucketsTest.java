package dev.infera.cuda.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepBatchBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which steps replay which CUDA graph. */
class GraphBucketsTest {

    private final GraphBuckets buckets = GraphBuckets.defaults();
    private final KvCacheLayout kv = new KvCacheLayout(2, 2, 8, 4096, 16, 4);

    @ParameterizedTest
    @CsvSource({"1,1", "2,2", "3,4", "5,8", "8,8", "9,16", "17,24", "25,32", "33,48", "49,64", "65,96", "100,128",
        "129,192", "200,256", "256,256", "257,384", "500,512", "512,512", "513,-1", "10000,-1"})
    void smallestBucketThatHoldsTheSequences(int numSeqs, int bucket) {
        assertThat(buckets.bucketFor(numSeqs)).isEqualTo(bucket);
    }

    @Test
    void paddingNeverWastesMoreThanAThirdAboveEight() {
        for (int n = 9; n <= buckets.largest(); n++) {
            assertThat((double) buckets.bucketFor(n) / n).as("n = %d", n).isLessThanOrEqualTo(16.0 / 9);
            if (n > 16) {
                assertThat((double) buckets.bucketFor(n) / n).as("n = %d", n).isLessThan(1.5);
            }
        }
    }

    @Test
    void tableStridesArePowersOfTwo() {
        assertThat(GraphBuckets.tableStrideFor(0)).isEqualTo(1);
        assertThat(GraphBuckets.tableStrideFor(1)).isEqualTo(1);
        assertThat(GraphBuckets.tableStrideFor(3)).isEqualTo(4);
        assertThat(GraphBuckets.tableStrideFor(16)).isEqualTo(16);
        assertThat(GraphBuckets.tableStrideFor(17)).isEqualTo(32);
    }

    private StepBatch decodes(int numSeqs, int contextLen) {
        StepBatchBuilder b = new StepBatchBuilder(kv);
        int blocks = (contextLen + 15) / 16;
        for (int s = 0; s < numSeqs; s++) {
            int[] table = new int[blocks];
            for (int i = 0; i < blocks; i++) {
                table[i] = s * blocks + i;
            }
            b.addSequence(table, contextLen - 1, new int[] {3}, true);
        }
        return b.build();
    }

    @Test
    void pureDecodeStepsGetAKey() {
        assertThat(buckets.keyFor(decodes(5, 100))).isEqualTo(new GraphBuckets.Key(8, 8));
        assertThat(buckets.keyFor(decodes(64, 16))).isEqualTo(new GraphBuckets.Key(64, 1));
        assertThat(buckets.keyFor(decodes(64, 17))).isEqualTo(new GraphBuckets.Key(64, 2));
    }

    @Test
    void prefillUnsampledAndOversizedStepsRunDirectly() {
        StepBatch prefill = new StepBatchBuilder(kv).addSequence(new int[] {0}, 0, new int[] {1, 2, 3}, true).build();
        assertThat(buckets.keyFor(prefill)).isNull();
        StepBatch unsampled = new StepBatchBuilder(kv).addSequence(new int[] {0}, 4, new int[] {1}, false)
                .addSequence(new int[] {1}, 4, new int[] {1}, true).build();
        assertThat(buckets.keyFor(unsampled)).isNull();
        assertThat(buckets.keyFor(decodes(513, 2))).isNull();
    }

    @Test
    void bucketSizesMustIncrease() {
        assertThatThrownBy(() -> new GraphBuckets(1, 4, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GraphBuckets()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> buckets.bucketFor(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
