package dev.infera.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class WeightMemoryTest {

    @Test
    void piecesAreAlignedDisjointAndSpanned() {
        long[] sizes = {100, 64, 3, 4096};
        try (WeightMemory memory = new WeightMemory(WeightMemory.bytesFor(sizes))) {
            MemorySegment[] pieces = new MemorySegment[sizes.length];
            for (int i = 0; i < sizes.length; i++) {
                pieces[i] = memory.take(sizes[i]);
                assertThat(pieces[i].address() % 64).isZero();
                assertThat(pieces[i].byteSize()).isEqualTo(sizes[i]);
                pieces[i].fill((byte) (i + 1));
            }
            for (int i = 0; i < sizes.length; i++) {
                assertThat(pieces[i].get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) (i + 1));
                assertThat(pieces[i].get(ValueLayout.JAVA_BYTE, sizes[i] - 1)).isEqualTo((byte) (i + 1));
            }
            MemorySegment span = memory.span(pieces[1], pieces[2]);
            assertThat(span.address()).isEqualTo(pieces[1].address());
            assertThat(span.byteSize()).isEqualTo(64 + 3);
            System.out.println("weight memory in transparent huge pages: " + memory.hugePages());
        }
    }

    @Test
    void takingMoreThanTheRegionFailsClearly() {
        try (WeightMemory memory = new WeightMemory(10)) {
            assertThatThrownBy(() -> memory.take(3L << 20)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is full");
        }
    }

    @Test
    void spanOfForeignPiecesIsRejected() {
        try (WeightMemory memory = new WeightMemory(128)) {
            MemorySegment a = memory.take(64);
            MemorySegment foreign = MemorySegment.ofArray(new byte[8]);
            assertThatThrownBy(() -> memory.span(a, foreign)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
