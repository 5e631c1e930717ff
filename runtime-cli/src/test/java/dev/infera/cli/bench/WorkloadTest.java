package dev.infera.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.infera.core.tokenizer.SyntheticBpeVocabulary;
import dev.infera.core.tokenizer.TokenType;
import dev.infera.core.tokenizer.Vocabulary;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WorkloadTest {

    private static final int[] POOL = {5, 6, 7, 8, 9, 100, 200, 300};

    @Test
    void withoutRangeEveryLengthIsExact() {
        List<Workload.Request> r = Workload.generate(new WorkloadSpec(20, 37, 11, 0, 0, 1, 3), POOL);
        assertThat(r).hasSize(20);
        for (int i = 0; i < r.size(); i++) {
            assertThat(r.get(i).index()).isEqualTo(i);
            assertThat(r.get(i).promptTokens()).hasSize(37);
            assertThat(r.get(i).outputTokens()).isEqualTo(11);
            assertThat(r.get(i).prefixGroup()).isEqualTo(-1);
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.1, 0.5, 0.9})
    void lengthsSpreadUniformlyWithinTheRangeRatio(double ratio) {
        WorkloadSpec spec = new WorkloadSpec(2000, 200, 100, ratio, 0, 1, 11);
        List<Workload.Request> r = Workload.generate(spec, POOL);
        int[] in = r.stream().mapToInt(x -> x.promptTokens().length).toArray();
        int[] out = r.stream().mapToInt(Workload.Request::outputTokens).toArray();
        int lo = (int) Math.round(200 * (1 - ratio));
        int hi = (int) Math.round(200 * (1 + ratio));
        assertThat(Arrays.stream(in).min().orElseThrow()).isGreaterThanOrEqualTo(lo).isLessThan(lo + (hi - lo) / 10 + 1);
        assertThat(Arrays.stream(in).max().orElseThrow()).isLessThanOrEqualTo(hi).isGreaterThan(hi - (hi - lo) / 10 - 1);
        assertThat(Arrays.stream(in).average().orElseThrow()).isCloseTo(200, within(200 * ratio * 0.1));
        assertThat(Arrays.stream(out).average().orElseThrow()).isCloseTo(100, within(100 * ratio * 0.1));
        assertThat(Arrays.stream(out).min().orElseThrow()).isGreaterThanOrEqualTo((int) Math.round(100 * (1 - ratio)));
    }

    @Test
    void theSameSeedGivesTheSameRequestsAndAnotherSeedDoesNot() {
        WorkloadSpec spec = new WorkloadSpec(8, 30, 5, 0.5, 4, 2, 99);
        List<Workload.Request> a = Workload.generate(spec, POOL);
        List<Workload.Request> b = Workload.generate(spec, POOL);
        List<Workload.Request> c = Workload.generate(new WorkloadSpec(8, 30, 5, 0.5, 4, 2, 100), POOL);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i).promptTokens()).isEqualTo(b.get(i).promptTokens());
            assertThat(a.get(i).outputTokens()).isEqualTo(b.get(i).outputTokens());
        }
        assertThat(a.stream().map(x -> Arrays.toString(x.promptTokens())).toList())
                .isNotEqualTo(c.stream().map(x -> Arrays.toString(x.promptTokens())).toList());
    }

    @Test
    void sharedPrefixesGoRoundRobinAndTheRestIsUnique() {
        WorkloadSpec spec = new WorkloadSpec(12, 20, 4, 0, 16, 3, 5);
        List<Workload.Request> r = Workload.generate(spec, POOL);
        for (Workload.Request x : r) {
            assertThat(x.prefixGroup()).isEqualTo(x.index() % 3);
            assertThat(x.promptTokens()).hasSize(36);
            int[] prefix = Arrays.copyOf(x.promptTokens(), 16);
            int[] first = Arrays.copyOf(r.get(x.prefixGroup()).promptTokens(), 16);
            assertThat(prefix).isEqualTo(first);
        }
        assertThat(Arrays.copyOf(r.get(0).promptTokens(), 16)).isNotEqualTo(Arrays.copyOf(r.get(1).promptTokens(), 16));
        Set<String> tails = r.stream().map(x -> Arrays.toString(Arrays.copyOfRange(x.promptTokens(), 16, 36)))
                .collect(Collectors.toSet());
        assertThat(tails).hasSize(12);
        assertThat(spec.maxPromptTokens()).isEqualTo(36);
    }

    @Test
    void tokensComeOnlyFromThePoolOfOrdinaryVocabularyTokens() {
        Vocabulary v = SyntheticBpeVocabulary.build(600);
        int[] pool = Workload.tokenPool(v);
        assertThat(pool).isNotEmpty();
        assertThat(Arrays.stream(pool).boxed().toList()).allSatisfy(id -> assertThat(v.type(id)).isEqualTo(TokenType.NORMAL));
        assertThat(pool).doesNotContain(v.special().bos(), v.special().eos());
        Set<Integer> allowed = Arrays.stream(pool).boxed().collect(Collectors.toSet());
        for (Workload.Request r : Workload.generate(new WorkloadSpec(10, 50, 1, 0, 10, 2, 1), pool)) {
            assertThat(Arrays.stream(r.promptTokens()).boxed().toList()).allSatisfy(id -> assertThat(allowed).contains(id));
        }
    }

    @Test
    void badSpecsAreRejectedWithEveryProblemNamed() {
        WorkloadSpec bad = new WorkloadSpec(0, 0, -1, 1.0, -1, 0, 0);
        assertThat(bad.problems()).hasSize(6).anySatisfy(p -> assertThat(p).contains("--range-ratio"))
                .anySatisfy(p -> assertThat(p).contains("--num-prefixes"));
        assertThatThrownBy(() -> Workload.generate(bad, POOL)).hasMessageContaining("--num-prompts");
        assertThatThrownBy(() -> Workload.generate(new WorkloadSpec(1, 1, 1, 0, 0, 1, 0), new int[0]))
                .hasMessageContaining("token pool is empty");
    }

    @Test
    void poissonArrivalsAreSeededWithTheRequestedMeanRate() {
        double[] a = ArrivalSchedule.poisson(20000, 4.0, 7);
        assertThat(a).isEqualTo(ArrivalSchedule.poisson(20000, 4.0, 7));
        assertThat(a).isNotEqualTo(ArrivalSchedule.poisson(20000, 4.0, 8));
        double previous = 0;
        double sumSquares = 0;
        for (double t : a) {
            assertThat(t).isGreaterThanOrEqualTo(previous);
            sumSquares += (t - previous) * (t - previous);
            previous = t;
        }
        // 20000 gaps of mean 0.25 s: the total is 5000 s within a few percent; an exponential
        // distribution's second moment is 2 / rate^2.
        assertThat(a[a.length - 1]).isCloseTo(5000, within(150.0));
        assertThat(sumSquares / a.length).isCloseTo(2 / 16.0, within(0.01));
        assertThat(ArrivalSchedule.poisson(5, Double.POSITIVE_INFINITY, 1)).containsOnly(0.0);
        assertThatThrownBy(() -> ArrivalSchedule.poisson(5, 0, 1)).hasMessageContaining("--request-rate");
    }

    @Test
    void sweepsParseConcurrencyAndRateLevels() {
        Sweep s = Sweep.parse("concurrency=1,4, 16");
        assertThat(s.parameter()).isEqualTo("concurrency");
        assertThat(s.values()).containsExactly(1.0, 4.0, 16.0);
        assertThat(s.modeAt(LoadMode.OFFLINE, 4).maxConcurrency()).isEqualTo(4);
        assertThat(s).hasToString("concurrency=1,4,16");
        Sweep r = Sweep.parse("rate=0.5,inf");
        assertThat(r.modeAt(LoadMode.OFFLINE, 0.5).requestRate()).isEqualTo(0.5);
        assertThat(r.label(Double.POSITIVE_INFINITY)).isEqualTo("rate=inf");
        assertThatThrownBy(() -> Sweep.parse("threads=1,2")).hasMessageContaining("unknown parameter 'threads'");
        assertThatThrownBy(() -> Sweep.parse("concurrency=1,x")).hasMessageContaining("'x' is not a whole number");
        assertThatThrownBy(() -> Sweep.parse("concurrency=0")).hasMessageContaining("positive");
        assertThatThrownBy(() -> Sweep.parse("16")).hasMessageContaining("concurrency=N");
    }
}
