package dev.infera.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class SamplingParamsTest {

    @Test
    void defaultsAreTemperatureOneWithEveryFilterOff() {
        SamplingParams p = SamplingParams.builder().build();
        assertThat(p.temperature()).isEqualTo(1f);
        assertThat(p.topKEnabled()).isFalse();
        assertThat(p.topP()).isEqualTo(1f);
        assertThat(p.minP()).isZero();
        assertThat(p.repetitionPenalty()).isEqualTo(1f);
        assertThat(p.presencePenalty()).isZero();
        assertThat(p.frequencyPenalty()).isZero();
        assertThat(p.seed()).isEmpty();
        assertThat(p.maxTokens()).isEqualTo(SamplingParams.DEFAULT_MAX_TOKENS);
        assertThat(p.logprobsEnabled()).isFalse();
        assertThat(p.ignoreEos()).isFalse();
        assertThat(SamplingParams.greedy().isGreedy()).isTrue();
    }

    @Test
    void toBuilderKeepsEveryValue() {
        SamplingParams p = SamplingParams.builder().temperature(0.7).topK(40).topP(0.9).minP(0.05)
                .repetitionPenalty(1.1).presencePenalty(0.5).frequencyPenalty(-0.5).seed(7)
                .stopTokenIds(List.of(3, 4)).stopStrings(List.of("\n\n", "END")).maxTokens(12)
                .logprobs(5).ignoreEos(true).build();
        assertThat(p.toBuilder().build()).isEqualTo(p);
        assertThat(p.toBuilder().noSeed().build().seed()).isEmpty();
    }

    @Test
    void listsAreCopiedAndImmutable() {
        List<String> stops = new ArrayList<>(List.of("a"));
        SamplingParams p = SamplingParams.builder().stopStrings(stops).build();
        stops.add("b");
        assertThat(p.stopStrings()).containsExactly("a");
        assertThatThrownBy(() -> p.stopStrings().add("c")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void boundaryValuesAreAccepted() {
        SamplingParams.builder().temperature(0).topK(-1).topP(1).minP(0).repetitionPenalty(1e-3)
                .presencePenalty(-2).frequencyPenalty(2).logprobs(0).maxTokens(1).seed(0).build();
        SamplingParams.builder().topK(0).topP(1e-6).minP(0.999).logprobs(20).seed(-1).build();
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                bad("temperature", b -> b.temperature(-0.1)),
                bad("temperature", b -> b.temperature(Double.NaN)),
                bad("temperature", b -> b.temperature(Double.POSITIVE_INFINITY)),
                bad("topK", b -> b.topK(-2)),
                bad("topP", b -> b.topP(0)),
                bad("topP", b -> b.topP(1.01)),
                bad("topP", b -> b.topP(Double.NaN)),
                bad("minP", b -> b.minP(1)),
                bad("minP", b -> b.minP(-0.01)),
                bad("repetitionPenalty", b -> b.repetitionPenalty(0)),
                bad("repetitionPenalty", b -> b.repetitionPenalty(-1)),
                bad("repetitionPenalty", b -> b.repetitionPenalty(Double.NaN)),
                bad("presencePenalty", b -> b.presencePenalty(2.5)),
                bad("frequencyPenalty", b -> b.frequencyPenalty(-2.01)),
                bad("frequencyPenalty", b -> b.frequencyPenalty(Double.NaN)),
                bad("stopTokenIds", b -> b.stopTokenIds(List.of(1, -5))),
                bad("stopStrings", b -> b.stopStrings(List.of(""))),
                bad("stopStrings", b -> b.stopStrings(List.of("ok", "x\uD83D"))),
                bad("stopStrings", b -> b.stopStrings(List.of("\uDE00y"))),
                bad("maxTokens", b -> b.maxTokens(0)),
                bad("logprobs", b -> b.logprobs(21)),
                bad("logprobs", b -> b.logprobs(-2)));
    }

    private static Arguments bad(String field, UnaryOperator<SamplingParams.Builder> change) {
        return Arguments.of(field, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidValuesAreRejectedWithTheFieldName(String field, UnaryOperator<SamplingParams.Builder> change) {
        assertThatThrownBy(() -> change.apply(SamplingParams.builder()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(field);
    }

    @Test
    void wellFormedSurrogatePairsAreAcceptedInStopStrings() {
        assertThat(SamplingParams.builder().stopStrings(List.of("\uD83D\uDE00 done")).build().stopStrings())
                .hasSize(1);
    }

    @Test
    void finishReasonJsonNames() {
        assertThat(FinishReason.STOP_TOKEN.jsonName()).isEqualTo("stop_token");
        assertThat(FinishReason.MAX_TOKENS.jsonName()).isEqualTo("max_tokens");
    }
}
