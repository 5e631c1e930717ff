package dev.infera.cuda.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.core.backend.KvCacheLayout;
import dev.infera.core.backend.StepBatch;
import dev.infera.core.backend.StepBatchBuilder;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The int32 metadata a step uploads: direct shapes, graph padding, and every value in place. */
class StepMetadataTest {

    private final KvCacheLayout kv = new KvCacheLayout(2, 2, 8, 64, 4, 4);

    private static int[] section(MemorySegment m, int from, int count) {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = m.getAtIndex(ValueLayout.JAVA_INT, from + i);
        }
        return out;
    }

    /** A decode (context 6), a 9-token prefill chunk after 2 cached tokens, and a second decode. */
    private StepBatch mixed() {
        return new StepBatchBuilder(kv)
                .addSequence(new int[] {7, 3}, 5, new int[] {11}, true)
                .addSequence(new int[] {1, 9, 4, 20}, 2, new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, true)
                .addSequence(new int[] {5}, 0, new int[] {42}, true)
                .build();
    }

    @Test
    void directShapeCountsDecodeEntriesAndPrefillTiles() {
        StepShape s = StepMetadata.directShape(mixed(), 4);
        assertThat(s).isEqualTo(new StepShape(11, 3, 2, 3, 3, 3));
    }

    @Test
    void writesEverySectionOfADirectStep() {
        StepBatch b = mixed();
        StepShape s = StepMetadata.directShape(b, 4);
        MetadataLayout at = MetadataLayout.of(s);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(4L * at.totalInts());
            StepMetadata.write(b, s, 4, m);
            assertThat(section(m, at.tokens(), 11)).containsExactly(11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 42);
            assertThat(section(m, at.positions(), 11)).containsExactly(5, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0);
            assertThat(section(m, at.slots(), 3)).containsExactly(3 * 4 + 1, 1 * 4 + 2, 1 * 4 + 3);
            assertThat(section(m, at.slots() + 10, 1)).containsExactly(20);
            assertThat(section(m, at.blockTables(), 9)).containsExactly(7, 3, 0, 1, 9, 4, 5, 0, 0);
            assertThat(section(m, at.decodeEntries(), 4)).containsExactly(0, 0, 10, 2);
            assertThat(section(m, at.prefillTiles(), 12)).containsExactly(1, 4, 1, 0, 5, 4, 1, 0, 9, 1, 1, 0);
            assertThat(section(m, at.sampleRows(), 3)).containsExactly(0, 9, 10);
            assertThat(at.totalInts()).isEqualTo(3 * 11 + 9 + 4 + 12 + 3);
        }
    }

    @Test
    void graphPaddingRowsWriteNothingAndReadValidMemory() {
        StepBatch b = new StepBatchBuilder(kv)
                .addSequence(new int[] {3, 8}, 6, new int[] {5}, true)
                .addSequence(new int[] {2}, 0, new int[] {6}, true)
                .addSequence(new int[] {4}, 1, new int[] {7}, true)
                .build();
        GraphBuckets.Key key = GraphBuckets.defaults().keyFor(b);
        assertThat(key).isEqualTo(new GraphBuckets.Key(4, 2));
        StepShape s = StepMetadata.graphShape(key);
        MetadataLayout at = MetadataLayout.of(s);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(4L * at.totalInts());
            m.fill((byte) 0x55);
            StepMetadata.write(b, s, 16, m);
            assertThat(section(m, at.tokens(), 4)).containsExactly(5, 6, 7, 0);
            assertThat(section(m, at.positions(), 4)).containsExactly(6, 0, 1, 0);
            assertThat(section(m, at.slots(), 4)).containsExactly(8 * 4 + 2, 2 * 4, 4 * 4 + 1, -1);
            assertThat(section(m, at.blockTables(), 8)).containsExactly(3, 8, 2, 0, 4, 0, 0, 0);
            assertThat(section(m, at.decodeEntries(), 8)).containsExactly(0, 0, 1, 1, 2, 2, 3, 3);
            assertThat(section(m, at.sampleRows(), 4)).containsExactly(0, 1, 2, 3);
        }
    }

    @Test
    void aTooSmallBufferIsRejected() {
        StepBatch b = mixed();
        StepShape s = StepMetadata.directShape(b, 4);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(16);
            assertThatThrownBy(() -> StepMetadata.write(b, s, 4, m)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("metadata needs");
        }
    }

    @Test
    void aShapeThatDoesNotMatchTheBatchIsRejected() {
        StepBatch b = mixed();
        StepShape wrong = new StepShape(11, 3, 2, 2, 3, 3);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(4096);
            assertThatThrownBy(() -> StepMetadata.write(b, wrong, 4, m)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
