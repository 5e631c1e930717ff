package dev.infera.core.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.infera.api.FinishReason;
import dev.infera.api.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StopMatcherTest {

    @Test
    void stopStringInsideOneDeltaCutsTheText() {
        StopMatcher m = new StopMatcher(List.of("END"));
        assertThat(m.accept("Hello")).isEqualTo("Hello");
        assertThat(m.accept(" worldEND and more")).isEqualTo(" world");
        assertThat(m.stopped()).isTrue();
        assertThat(m.matchedStop()).isEqualTo("END");
        assertThat(m.finish()).isEmpty();
        assertThatThrownBy(() -> m.accept("x")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void stopStringAcrossDeltasIsHeldBackThenDropped() {
        StopMatcher m = new StopMatcher(List.of("\n\nUser:"));
        assertThat(m.accept("Sure.")).isEqualTo("Sure.");
        assertThat(m.accept("\n")).isEmpty();
        assertThat(m.accept("\nUs")).isEmpty();
        assertThat(m.accept("er")).isEmpty();
        assertThat(m.accept(": hi")).isEmpty();
        assertThat(m.stopped()).isTrue();
    }

    @Test
    void heldBackTextIsReleasedWhenItTurnsOutNotToBeAStop() {
        StopMatcher m = new StopMatcher(List.of("abc"));
        assertThat(m.accept("xxa")).isEqualTo("xx");
        assertThat(m.accept("b")).isEmpty();
        assertThat(m.accept("d")).isEqualTo("abd");
        assertThat(m.accept("ab")).isEmpty();
        assertThat(m.finish()).isEqualTo("ab");
        assertThat(m.stopped()).isFalse();
    }

    @Test
    void overlappingCandidatesKeepTheLongestPossibleStart() {
        StopMatcher m = new StopMatcher(List.of("aab"));
        assertThat(m.accept("aa")).isEmpty();
        assertThat(m.accept("a")).isEqualTo("a");
        assertThat(m.accept("b")).isEmpty();
        assertThat(m.stopped()).isTrue();
    }

    @Test
    void theEarliestCompleteStopWins() {
        StopMatcher m = new StopMatcher(List.of("world", "lo w"));
        assertThat(m.accept("hello world")).isEqualTo("hel");
        assertThat(m.matchedStop()).isEqualTo("lo w");
    }

    @Test
    void noStopStringsPassTextThroughButNeverSplitASurrogatePair() {
        StopMatcher m = new StopMatcher(List.of());
        assertThat(m.accept("a\uD83D")).isEqualTo("a");
        assertThat(m.accept("\uDE00b")).isEqualTo("\uD83D\uDE00b");
        assertThat(m.finish()).isEmpty();
    }

    @Test
    void surrogatePairsAreNeverSplitByAHeldBackTail() {
        StopMatcher m = new StopMatcher(List.of("\uD83D\uDE00!"));
        assertThat(m.accept("ok \uD83D")).isEqualTo("ok ");
        assertThat(m.accept("\uDE00")).isEmpty();
        assertThat(m.accept("?")).isEqualTo("\uD83D\uDE00?");
        assertThat(m.accept("\uD83D\uDE00!")).isEmpty();
        assertThat(m.stopped()).isTrue();
    }

    /** Any split of a text into deltas releases exactly the text before the first stop occurrence. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void randomSplitsGiveTheSameResultAsMatchingTheWholeText(long seed) {
        Random random = new Random(seed);
        String alphabet = "ab\n ";
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(60);
            for (int i = 0; i < length; i++) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String stop = trial % 2 == 0 ? "\n\n" : "aba";
            int at = text.indexOf(stop);
            String expected = at >= 0 ? text.substring(0, at) : text.toString();
            StopMatcher m = new StopMatcher(List.of(stop));
            StringBuilder released = new StringBuilder();
            int pos = 0;
            while (pos < text.length() && !m.stopped()) {
                int end = Math.min(text.length(), pos + 1 + random.nextInt(4));
                released.append(m.accept(text.substring(pos, end)));
                assertThat(expected).startsWith(released);
                pos = end;
            }
            released.append(m.finish());
            assertThat(released.toString()).isEqualTo(expected);
            assertThat(m.stopped()).isEqualTo(at >= 0);
        }
    }

    @Test
    void finishWithALastPieceReleasesTheTailOrCutsAtAStopCompletedByIt() {
        StopMatcher open = new StopMatcher(List.of("END"));
        assertThat(open.accept("x E")).isEqualTo("x ");
        assertThat(open.finish("!")).isEqualTo("E!");
        assertThat(open.stopped()).isFalse();

        StopMatcher closing = new StopMatcher(List.of("END"));
        assertThat(closing.accept("x EN")).isEqualTo("x ");
        assertThat(closing.finish("D tail")).isEmpty();
        assertThat(closing.stopped()).isTrue();
        assertThat(closing.matchedStop()).isEqualTo("END");
    }

    @Test
    void stopConditionsEndOnStopTokensEosAndTheLimit() {
        SamplingParams p = SamplingParams.builder().stopTokenIds(List.of(7, 3)).maxTokens(4).build();
        StopConditions c = new StopConditions(p, new int[] {2});
        assertThat(c.check(5, 1)).isNull();
        assertThat(c.check(7, 2)).isEqualTo(FinishReason.STOP_TOKEN);
        assertThat(c.check(2, 2)).isEqualTo(FinishReason.STOP_TOKEN);
        assertThat(c.check(5, 4)).isEqualTo(FinishReason.MAX_TOKENS);
        assertThat(c.check(3, 4)).isEqualTo(FinishReason.STOP_TOKEN);
        StopConditions ignoring = new StopConditions(p.toBuilder().ignoreEos(true).build(), new int[] {2});
        assertThat(ignoring.check(2, 1)).isNull();
        assertThat(ignoring.isStopToken(7)).isTrue();
        assertThat(ignoring.maxTokens()).isEqualTo(4);
        List<Integer> none = new ArrayList<>();
        assertThat(new StopConditions(SamplingParams.builder().stopTokenIds(none).build(), new int[0]).check(0, 1)).isNull();
    }
}
