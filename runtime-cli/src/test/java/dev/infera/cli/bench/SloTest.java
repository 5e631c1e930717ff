package dev.infera.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SloTest {

    @Test
    void parsesAnySubsetInAnyOrder() {
        Slo s = Slo.parse("tpot=50, ttft=500");
        assertThat(s.ttftMs()).isEqualTo(500);
        assertThat(s.tpotMs()).isEqualTo(50);
        assertThat(s.e2eMs()).isNaN();
        assertThat(s.isSet()).isTrue();
        assertThat(s).hasToString("ttft=500,tpot=50");
        assertThat(Slo.parse("E2E=1500.5ms").e2eMs()).isEqualTo(1500.5);
        assertThat(Slo.parse("e2el=10").e2eMs()).isEqualTo(10);
        assertThat(Slo.NONE.isSet()).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "ttft|is not NAME=MS",
        "ttft=abc|is not a number",
        "ttft=-5|must be a positive number",
        "ttft=0|must be a positive number",
        "ttft=inf|is not a number",
        "ttft=Infinity|must be a positive number",
        "latency=5|unknown objective 'latency'",
        "ttft=5,ttft=6|names ttft twice",
        "ttft=5,|is not NAME=MS",
        "' '|needs at least one"})
    void badSpecsNameTheProblem(String spec, String message) {
        assertThatThrownBy(() -> Slo.parse(spec)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message).hasMessageStartingWith("--slo");
    }

    @Test
    void aRequestIsGoodOnlyWhenEveryObjectiveHolds() {
        Slo slo = Slo.parse("ttft=100,tpot=10");
        assertThat(slo.isMetBy(outcome(100, 10, 5000))).isTrue();
        assertThat(slo.isMetBy(outcome(100.01, 10, 5000))).isFalse();
        assertThat(slo.isMetBy(outcome(50, 10.5, 5000))).isFalse();
        assertThat(Slo.parse("e2e=1000").isMetBy(outcome(900, 900, 999))).isTrue();
        assertThat(slo.isMetBy(RequestOutcome.failed(0, 8, "boom"))).isFalse();
    }

    static RequestOutcome outcome(double ttft, double tpot, double e2e) {
        return new RequestOutcome(0, 16, 0, 8, 0, ttft, tpot, new double[] {tpot}, e2e, null);
    }
}
