package dev.infera.core.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.BackendUnavailableException;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackendsTest {

    private record Fake(String id, int priority, Availability availability) implements BackendProvider {
        @Override
        public Availability probe() {
            return availability;
        }

        @Override
        public ExecutionBackend create(BackendContext context) {
            throw new UnsupportedOperationException("not needed here");
        }
    }

    private static final Fake CPU = new Fake("cpu", 10, Availability.ok());
    private static final Fake GPU = new Fake("gpu", 100, Availability.unavailable("libcuda.so.1 not found"));

    @Test
    void autoPicksTheBestAvailable() {
        List<BackendProvider> sorted = Backends.providers(List.of(CPU, GPU));
        assertThat(sorted).containsExactly(GPU, CPU);
        assertThat(Backends.select("auto", sorted)).isSameAs(CPU);
        assertThat(Backends.select("cpu", sorted)).isSameAs(CPU);
    }

    @Test
    void explainsWhyNothingCanRun() {
        assertThatThrownBy(() -> Backends.select("gpu", List.of(CPU, GPU)))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessage("backend 'gpu' cannot run: libcuda.so.1 not found");
        assertThatThrownBy(() -> Backends.select("auto", List.of(GPU)))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("gpu: libcuda.so.1 not found");
        assertThatThrownBy(() -> Backends.select("tpu", List.of(CPU, GPU)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown backend 'tpu'")
                .hasMessageContaining("cpu, gpu");
        assertThatThrownBy(() -> Availability.unavailable(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
