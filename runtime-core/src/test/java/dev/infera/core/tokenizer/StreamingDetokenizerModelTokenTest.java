package dev.infera.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StreamingDetokenizerModelTokenTest {

    @Test
    void idsOfAPaddedModelVocabularyCarryNoTextButOthersAreStillChecked() {
        Tokenizer tok = TestTokenizers.tok512();
        int[] ids = tok.encode("Once upon a time", false, false);
        StreamingDetokenizer d = tok.newDetokenizer();
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            text.append(d.acceptModelToken(id));
            text.append(d.acceptModelToken(tok.vocabSize() + 7));
        }
        text.append(d.flush());
        assertThat(text.toString()).isEqualTo(tok.decode(ids));
        assertThatThrownBy(() -> d.accept(tok.vocabSize())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.acceptModelToken(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
