package dev.infera.core.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TokenPenaltiesTest {

    @Test
    void countsSurviveTableGrowthAndMatchAPlainMap() {
        Random random = new Random(42);
        TokenPenalties p = new TokenPenalties(1.3f, 0.5f, 0.25f);
        Map<Integer, Integer> expected = new HashMap<>();
        for (int i = 0; i < 5000; i++) {
            int id = random.nextInt(3000);
            if (random.nextInt(4) == 0) {
                p.addPromptToken(id);
                expected.putIfAbsent(id, 0);
            } else {
                p.addGeneratedToken(id);
                expected.merge(id, 1, Integer::sum);
            }
        }
        for (int id = 0; id < 3000; id++) {
            assertThat(p.generatedCount(id)).as("count of %d", id).isEqualTo(expected.getOrDefault(id, 0));
        }
        float[] logits = new float[3000];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = i % 2 == 0 ? 1.0f : -1.0f;
        }
        p.apply(logits, 3000);
        for (int id = 0; id < 3000; id++) {
            float base = id % 2 == 0 ? 1.0f : -1.0f;
            float want = base;
            if (expected.containsKey(id)) {
                want = base > 0 ? base / 1.3f : base * 1.3f;
                int c = expected.get(id);
                if (c > 0) {
                    want -= 0.5f + 0.25f * c;
                }
            }
            assertThat(logits[id]).as("logit of %d", id).isEqualTo(want);
        }
    }

    @Test
    void promptTokensOnlyMatterForTheRepetitionPenaltyAndNegativeIdsAreRejected() {
        TokenPenalties noRepetition = new TokenPenalties(1.0f, 1.0f, 1.0f);
        noRepetition.addPromptToken(3);
        float[] logits = {1f, 1f, 1f, 1f};
        noRepetition.apply(logits, 4);
        assertThat(logits).containsExactly(1f, 1f, 1f, 1f);
        assertThatThrownBy(() -> noRepetition.addGeneratedToken(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(TokenPenalties.anyEnabled(1f, 0f, 0f)).isFalse();
        assertThat(TokenPenalties.anyEnabled(1f, 0f, 0.1f)).isTrue();
    }
}
