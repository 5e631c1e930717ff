package dev.infera.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class LatencyStatsTest {

    @Test
    void percentilesInterpolateBetweenRanksLikeNumpy() {
        double[] v = {4, 1, 3, 2};
        LatencyStats s = LatencyStats.of(v);
        assertThat(s.count()).isEqualTo(4);
        assertThat(s.mean()).isEqualTo(2.5);
        assertThat(s.p50()).isEqualTo(2.5);
        assertThat(s.p90()).isCloseTo(3.7, within(1e-12));
        assertThat(s.p95()).isCloseTo(3.85, within(1e-12));
        assertThat(s.p99()).isCloseTo(3.97, within(1e-12));
        assertThat(s.min()).isEqualTo(1);
        assertThat(s.max()).isEqualTo(4);
        assertThat(s.std()).isCloseTo(Math.sqrt(1.25), within(1e-12));
        assertThat(v).containsExactly(4, 1, 3, 2);
    }

    @Test
    void oneValueIsEveryPercentileAndNoValuesAreNaN() {
        LatencyStats one = LatencyStats.of(new double[] {7.5});
        assertThat(one.p50()).isEqualTo(7.5);
        assertThat(one.p99()).isEqualTo(7.5);
        assertThat(one.std()).isZero();
        LatencyStats none = LatencyStats.of(new double[0]);
        assertThat(none.count()).isZero();
        assertThat(none.mean()).isNaN();
        assertThat(none.p99()).isNaN();
        assertThat(none.toJson()).containsEntry("p99", null).containsEntry("count", 0);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 10, 101, 1000})
    void percentileAtAnExactRankIsThatValue(int n) {
        Random random = new Random(n);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextDouble() * 1000;
        }
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        for (int rank = 0; rank < n; rank++) {
            double p = 100.0 * rank / (n - 1);
            assertThat(LatencyStats.percentile(sorted, p)).isCloseTo(sorted[rank], within(1e-9));
        }
        LatencyStats s = LatencyStats.of(v);
        assertThat(s.p50()).isBetween(sorted[(n - 1) / 2], sorted[n / 2]);
        assertThat(s.p90()).isBetween(s.p50(), s.p99());
        assertThat(s.p99()).isLessThanOrEqualTo(s.max());
        assertThat(s.percentile(90)).isEqualTo(s.p90());
    }

    @Test
    void badPercentileArgumentsAreRejected() {
        assertThatThrownBy(() -> LatencyStats.percentile(new double[0], 50)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LatencyStats.percentile(new double[] {1}, 101))
                .hasMessageContaining("[0, 100]");
        assertThatThrownBy(() -> LatencyStats.of(new double[] {1}).percentile(75)).hasMessageContaining("p75");
    }
}
