package dev.infera.cpu.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WorkerPoolTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void everyIndexRunsExactlyOnceInEveryLoop(int threads) {
        try (WorkerPool pool = new WorkerPool(threads, "pool-test", 10_000)) {
            for (int loop = 0; loop < 2000; loop++) {
                int n = 1 + loop % 37;
                AtomicIntegerArray runs = new AtomicIntegerArray(n);
                AtomicInteger badWorker = new AtomicInteger();
                pool.parallelFor(n, (i, worker) -> {
                    runs.incrementAndGet(i);
                    if (worker < 0 || worker >= threads) {
                        badWorker.incrementAndGet();
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertThat(runs.get(i)).as("loop %d index %d", loop, i).isEqualTo(1);
                }
                assertThat(badWorker.get()).isZero();
            }
        }
    }

    @Test
    void workersReallyShareTheLoad() {
        try (WorkerPool pool = new WorkerPool(2, "pool-test", 1_000_000)) {
            AtomicIntegerArray byWorker = new AtomicIntegerArray(2);
            for (int loop = 0; loop < 200; loop++) {
                pool.parallelFor(8, (i, worker) -> {
                    byWorker.incrementAndGet(worker);
                    long until = System.nanoTime() + 200_000;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                });
            }
            assertThat(byWorker.get(1)).as("tasks run by the pool's own thread").isPositive();
        }
    }

    @Test
    void aTaskExceptionReachesTheCallerAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThatThrownBy(() -> pool.parallelFor(10, (i, w) -> {
                if (i == 7) {
                    throw new IllegalStateException("boom at 7");
                }
            })).isInstanceOf(IllegalStateException.class).hasMessage("boom at 7");
            AtomicInteger count = new AtomicInteger();
            pool.parallelFor(10, (i, w) -> count.incrementAndGet());
            assertThat(count.get()).isEqualTo(10);
        }
    }

    @Test
    void aNestedLoopRunsSeriallyInsteadOfDeadlocking() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicInteger count = new AtomicInteger();
            pool.parallelFor(4, (i, w) -> pool.parallelFor(3, (j, w2) -> count.incrementAndGet()));
            assertThat(count.get()).isEqualTo(12);
        }
    }

    @Test
    void threadsAreNamedDaemonsAndAClosedPoolRefusesWork() {
        WorkerPool pool = new WorkerPool(3, "named-pool", 1000);
        var workers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("named-pool-worker-")).toList();
        assertThat(workers).hasSize(2).allMatch(Thread::isDaemon);
        assertThat(workers).extracting(Thread::getName)
                .containsExactlyInAnyOrder("named-pool-worker-1", "named-pool-worker-2");
        pool.close();
        assertThatThrownBy(() -> pool.parallelFor(2, (i, w) -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> new WorkerPool(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
