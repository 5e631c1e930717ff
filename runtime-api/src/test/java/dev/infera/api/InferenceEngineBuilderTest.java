package dev.infera.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InferenceEngineBuilderTest {

    @TempDir
    Path dir;

    @Test
    void reportsEveryInvalidSettingAtOnce() {
        assertThatThrownBy(() -> InferenceEngine.builder().maxBatchTokens(0).blockSize(4096).kvCacheBytes(-1)
                .backend(" ").kvCacheType(null).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model path is not set")
                .hasMessageContaining("maxBatchTokens must be at least 1, got 0")
                .hasMessageContaining("blockSize must be between 1 and 1024 tokens, got 4096")
                .hasMessageContaining("kvCacheBytes must be positive")
                .hasMessageContaining("kvCacheType must not be null")
                .hasMessageContaining("backend must be");
    }

    @Test
    void capsTheStepTokenBudgetAndRejectsTwoKvCacheSizes() {
        assertThatThrownBy(() -> InferenceEngine.builder().maxBatchTokens(InferenceEngineBuilder.MAX_BATCH_TOKENS + 1)
                .kvCacheBytes(1 << 20).kvCacheTokens(-3).toConfig())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBatchTokens must be at most 1048576 tokens per step, got 1048577")
                .hasMessageContaining("kvCacheTokens must be positive");
        assertThatThrownBy(() -> InferenceEngine.builder().kvCacheBytes(1 << 20).kvCacheTokens(64).toConfig())
                .hasMessageContaining("set kvCacheBytes or kvCacheTokens, not both");
    }

    @Test
    void missingModelFileIsNamed() {
        Path missing = dir.resolve("nope.gguf");
        assertThatThrownBy(() -> InferenceEngine.builder().model(missing).build())
                .hasMessageContaining(missing + " does not exist");
    }

    @Test
    void defaultsAreTheDocumentedOnes() throws Exception {
        Path model = Files.createFile(dir.resolve("m.gguf"));
        EngineConfig c = InferenceEngine.builder().model(model).toConfig();
        assertThat(c.maxBatchTokens()).isEqualTo(2048);
        assertThat(c.maxRunningRequests()).isEqualTo(256);
        assertThat(c.blockSize()).isEqualTo(16);
        assertThat(c.kvCacheType()).isEqualTo(KvCacheType.AUTO);
        assertThat(c.maxQueuedRequests()).isEqualTo(4096);
        assertThat(c.prefixCaching()).isTrue();
        assertThat(c.kvCacheBytes()).isZero();
        assertThat(c.backend()).isEqualTo("auto");
        assertThat(c.schedulingPolicy()).isEqualTo(SchedulingPolicy.FCFS);
        assertThat(c.callbackExecutor()).isNull();
    }

    @Test
    void withoutAnImplementationOnTheClassPathBuildSaysWhatToAdd() throws Exception {
        Path model = Files.createFile(dir.resolve("m.gguf"));
        assertThatThrownBy(() -> InferenceEngine.builder().model(model).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("runtime-core");
    }

    @Test
    void requestNeedsExactlyOnePrompt() {
        assertThatThrownBy(() -> GenerationRequest.builder().build())
                .hasMessageContaining("exactly one of prompt text and prompt token ids");
        assertThatThrownBy(() -> GenerationRequest.builder().promptTokens().build())
                .hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> GenerationRequest.builder().promptTokens(1, -2).build())
                .hasMessageContaining("promptTokens[1] = -2");
        GenerationRequest r = GenerationRequest.builder().prompt("x").promptTokens(1, 2).build();
        assertThat(r.prompt()).isNull();
        assertThat(r.promptTokens()).containsExactly(1, 2);
        assertThat(r).isEqualTo(GenerationRequest.builder().promptTokens(1, 2).build());
    }
}
