package dev.infera.core.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StepBatchTest {

    private static final KvCacheLayout LAYOUT = new KvCacheLayout(2, 4, 8, 10, 4, 4);

    /** Sequence 0: 5 cached tokens + 2 new in blocks {3, 7}; sequence 1: 3 new tokens in block {1}. */
    private static StepBatch valid() {
        return new StepBatchBuilder(LAYOUT)
                .addSequence(new int[] {3, 7}, 5, new int[] {11, 12}, true)
                .addSequence(new int[] {1}, 0, new int[] {20, 21, 22}, true)
                .build();
    }

    @Test
    void builderDerivesPositionsAndSlots() {
        StepBatch b = valid();
        assertThat(b.numTokens()).isEqualTo(5);
        assertThat(b.numSeqs()).isEqualTo(2);
        assertThat(b.maxSeqLen()).isEqualTo(7);
        assertThat(b.position(0)).isEqualTo(5);
        assertThat(b.slot(0)).isEqualTo(7 * 4 + 1);
        assertThat(b.slot(1)).isEqualTo(7 * 4 + 2);
        assertThat(b.slot(4)).isEqualTo(1 * 4 + 2);
        assertThat(b.queryStart(1)).isEqualTo(2);
        assertThat(b.seqLen(0)).isEqualTo(7);
        assertThat(b.numSampleRows()).isEqualTo(2);
        assertThat(b.sampleRow(0)).isEqualTo(1);
        assertThat(b.sampleRow(1)).isEqualTo(4);
        assertThat(LAYOUT.numSlots()).isEqualTo(40);
        assertThat(LAYOUT.bytesPerBlock()).isEqualTo(2L * 2 * 4 * 8 * 4 * 4);
    }

    private static void rejects(String message, int[] tokens, int[] positions, int[] queryStart, int[] seqLens,
            int[] slots, int[][] tables, int[] sample) {
        assertThatThrownBy(() -> new StepBatch(LAYOUT, tokens, positions, queryStart, seqLens, slots, tables, sample))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void rejectsInconsistentBatches() {
        int[] tok = {11, 12, 20, 21, 22};
        int[] pos = {5, 6, 0, 1, 2};
        int[] qs = {0, 2, 5};
        int[] lens = {7, 3};
        int[] slots = {29, 30, 4, 5, 6};
        int[][] tables = {{3, 7}, {1}};
        int[] sample = {1, 4};
        new StepBatch(LAYOUT, tok, pos, qs, lens, slots, tables, sample);
        rejects("positions has 4 entries", tok, new int[] {5, 6, 0, 1}, qs, lens, slots, tables, sample);
        rejects("slotMapping has 4 entries", tok, pos, qs, lens, new int[] {29, 30, 4, 5}, tables, sample);
        rejects("queryStart has 2 entries", tok, pos, new int[] {0, 5}, lens, slots, tables, sample);
        rejects("queryStart[2] must equal the token count 5", tok, pos, new int[] {0, 2, 4}, lens, slots, tables, sample);
        rejects("sequence 0 has no tokens", tok, pos, new int[] {0, 0, 5}, lens, slots, tables, sample);
        rejects("seqLens[1] = 2 is less than its 3 new tokens", tok, pos, qs, new int[] {7, 2}, slots, tables, sample);
        rejects("positions[2] = 1", tok, new int[] {5, 6, 1, 1, 2}, qs, lens, slots, tables, sample);
        rejects("only 1 blocks of 4 tokens", tok, pos, qs, lens, slots, new int[][] {{3}, {1}}, sample);
        rejects("blockTables[0][1] = 10 is outside", tok, pos, qs, lens, slots, new int[][] {{3, 10}, {1}}, sample);
        rejects("slotMapping[0] = 28, but position 5 of sequence 0 maps to slot 29", tok, pos, qs, lens,
                new int[] {28, 30, 4, 5, 6}, tables, sample);
        rejects("sampleRows[1] = 5 is outside", tok, pos, qs, lens, slots, tables, new int[] {1, 5});
        rejects("strictly increasing", tok, pos, qs, lens, slots, tables, new int[] {4, 1});
        rejects("no argument may be null", tok, pos, qs, lens, slots, tables, null);
        rejects("at least one token", new int[0], new int[0], new int[] {0}, new int[0], new int[0], new int[0][],
                new int[0]);
    }

    @Test
    void rejectsTwoTokensWritingOneSlot() {
        int[][] tables = {{2}, {2}};
        assertThatThrownBy(() -> new StepBatch(LAYOUT, new int[] {1, 2}, new int[] {0, 0}, new int[] {0, 1, 2},
                new int[] {1, 1}, new int[] {8, 8}, tables, new int[] {0, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("write KV slot 8");
    }

    @Test
    void slotsMayShareABlockButNotASlotAcrossLongRuns() {
        KvCacheLayout layout = new KvCacheLayout(1, 1, 4, 8, 4, 4);
        // Sequence 0 writes positions 1..2 of block 5 (slots 21, 22); sequence 1 writes position 3 of it (23).
        new StepBatch(layout, new int[] {1, 2, 3}, new int[] {1, 2, 3}, new int[] {0, 2, 3}, new int[] {3, 4},
                new int[] {21, 22, 23}, new int[][] {{5}, {5}}, new int[] {2});
        // Sequence 0 writes slots 20..27 (blocks 5, 6); sequence 1's single token lands in the middle at 26.
        assertThatThrownBy(() -> new StepBatch(layout, new int[9], new int[] {0, 1, 2, 3, 4, 5, 6, 7, 2},
                new int[] {0, 8, 9}, new int[] {8, 3}, new int[] {20, 21, 22, 23, 24, 25, 26, 27, 26},
                new int[][] {{5, 6}, {6}}, new int[] {8}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("write KV slot 26");
    }

    @Test
    void rejectsExactlyTheBatchesWhoseRowsShareASlot() {
        Random random = new Random(20261124);
        KvCacheLayout layout = new KvCacheLayout(1, 1, 4, 6, 3, 4);
        int rejected = 0;
        for (int trial = 0; trial < 2000; trial++) {
            StepBatchBuilder builder = new StepBatchBuilder(layout);
            Set<Integer> slots = new HashSet<>();
            boolean shared = false;
            int numSeqs = 1 + random.nextInt(3);
            for (int s = 0; s < numSeqs; s++) {
                int cached = random.nextInt(5);
                int[] tokens = new int[1 + random.nextInt(6)];
                int[] table = new int[(cached + tokens.length + 2) / 3];
                for (int b = 0; b < table.length; b++) {
                    table[b] = random.nextInt(layout.numBlocks());
                }
                for (int pos = cached; pos < cached + tokens.length; pos++) {
                    shared |= !slots.add(table[pos / 3] * 3 + pos % 3);
                }
                builder.addSequence(table, cached, tokens, true);
            }
            if (shared) {
                rejected++;
                assertThatThrownBy(builder::build).hasMessageContaining("write KV slot");
            } else {
                assertThat(builder.build().numSeqs()).isEqualTo(numSeqs);
            }
        }
        assertThat(rejected).isBetween(200, 1800);
    }

    @Test
    void builderGrowsForManySequencesAndSampledRows() {
        KvCacheLayout big = new KvCacheLayout(1, 1, 4, 200, 4, 4);
        StepBatchBuilder b = new StepBatchBuilder(big);
        for (int s = 0; s < 37; s++) {
            b.addSequence(new int[] {2 * s, 2 * s + 1}, s % 4, new int[] {s, s + 1, s + 2}, s % 3);
        }
        StepBatch batch = b.build();
        assertThat(batch.numSeqs()).isEqualTo(37);
        assertThat(batch.numTokens()).isEqualTo(111);
        assertThat(batch.queryStart(37)).isEqualTo(111);
        assertThat(batch.seqLen(36)).isEqualTo(36 % 4 + 3);
        assertThat(batch.numSampleRows()).isEqualTo(36);
        assertThat(batch.sampleRow(0)).isEqualTo(5);
        assertThat(batch.slot(110)).isEqualTo(2 * 36 * 4 + 2);
    }

    @Test
    void builderChecksTheBlockTableCoversTheContext() {
        assertThatThrownBy(() -> new StepBatchBuilder(LAYOUT).addSequence(new int[] {0}, 3, new int[] {1, 2}, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 5 slots");
    }

    @Test
    void stepResultRows() {
        StepResult r = new StepResult(new float[] {0, 3, 1, 5, 2, 2, 9}, 2, 3);
        assertThat(r.argmax(0)).isEqualTo(1);
        assertThat(r.argmax(1)).isEqualTo(0);
        assertThat(r.row(1)).containsExactly(5, 2, 2);
        assertThat(r.logit(0, 2)).isEqualTo(1f);
        assertThatThrownBy(() -> r.row(2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> r.logit(0, 3)).isInstanceOf(IllegalArgumentException.class);
    }
}
