package dev.infera.core.engine;

import dev.infera.api.EngineConfig;
import dev.infera.api.KvCacheType;
import dev.infera.api.SchedulingPolicy;
import dev.infera.core.testing.FakeBackend;
import dev.infera.core.tokenizer.SpecialTokenIds;
import dev.infera.core.tokenizer.TokenType;
import dev.infera.core.tokenizer.Tokenizer;
import dev.infera.core.tokenizer.Tokenizers;
import dev.infera.core.tokenizer.Vocabulary;
import java.util.concurrent.Executor;

/** Engines over a {@link FakeBackend} and a one-character-per-token vocabulary, for engine tests. */
final class TestEngines {

    /** 0 unk, 1 BOS, 2 EOS, then one token per printable ASCII character '!'..'~'. */
    static final int VOCAB = 3 + 94;

    private TestEngines() {
    }

    static Tokenizer asciiTokenizer() {
        String[] texts = new String[VOCAB];
        TokenType[] types = new TokenType[VOCAB];
        texts[0] = "<unk>";
        types[0] = TokenType.UNKNOWN;
        texts[1] = "<s>";
        types[1] = TokenType.CONTROL;
        texts[2] = "</s>";
        types[2] = TokenType.CONTROL;
        for (int i = 3; i < VOCAB; i++) {
            texts[i] = String.valueOf((char) ('!' + i - 3));
            types[i] = TokenType.NORMAL;
        }
        return Tokenizers.fromVocabulary(Vocabulary.builder("llama", texts, types).scores(new float[VOCAB])
                .special(SpecialTokenIds.NONE.withUnk(0).withBos(1).withEos(2)).addBos(true).build());
    }

    /** Settings with a fixed small queue and the given limits. */
    static final class Settings {
        int maxBatchTokens = 64;
        int maxRunning = 32;
        int blockSize = 4;
        int numBlocks = 256;
        boolean prefixCaching = true;
        int maxQueued = 4096;
        SchedulingPolicy policy = SchedulingPolicy.FCFS;
        Executor executor;
        int contextLength = 4096;

        EngineConfig config() {
            return new EngineConfig(null, "fake", 1, maxBatchTokens, maxRunning, 0, 0, blockSize, KvCacheType.AUTO,
                    prefixCaching, maxQueued, policy, executor);
        }
    }

    static InferaEngine start(FakeBackend backend, Settings s) {
        return start(backend, s, VOCAB);
    }

    /** An engine whose model has {@code modelVocab} logits per row (at least the tokenizer's {@link #VOCAB}). */
    static InferaEngine start(FakeBackend backend, Settings s, int modelVocab) {
        Tokenizer tok = asciiTokenizer();
        EngineComponents parts = new EngineComponents(backend, tok, modelVocab, s.contextLength, new int[] {2}, null,
                "fake backend");
        return new InferaEngine(s.config(), parts, s.numBlocks);
    }
}
