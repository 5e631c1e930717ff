package dev.infera.cli;

import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.InferenceEngine;
import dev.infera.api.KvCacheType;
import dev.infera.api.RequestTooLargeException;
import dev.infera.api.SamplingParams;
import dev.infera.api.TokenChunk;
import dev.infera.api.TokenListener;
import dev.infera.core.json.Json;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * {@code infera generate}: one completion from a GGUF model, streamed to stdout as it is generated.
 * It runs through the batching engine (one request, a KV cache sized for it), which gives the same
 * text and tokens as the direct single-sequence path.
 *
 * <p>Output: only the generated text (not the prompt), each piece printed and flushed as soon as it is
 * final, then a newline; a summary line (token counts, time to first token, decode speed, finish
 * reason) goes to stderr. With {@code --json}, nothing is streamed: one JSON object with {@code text},
 * {@code token_ids} (including a final stop token), {@code finish_reason}, {@code prompt_tokens},
 * {@code completion_tokens}, {@code ttft_ms} and {@code decode_tokens_per_s} is printed instead.
 *
 * <p>The prompt gets BOS when the model's vocabulary asks for it. Generation ends at the model's
 * end-of-sequence token (unless {@code --ignore-eos}) or after {@code --max-tokens} tokens. Sampling
 * defaults are those of {@link SamplingParams}: temperature 1 and every filter off; temperature 0 is
 * greedy. Without {@code --seed} every run draws differently.
 */
final class GenerateCommand implements Command {

    /** Tokens a tokenizer may add around a text (BOS, EOS and the like), with room to spare. */
    private static final int SPECIAL_TOKENS_AT_MOST = 4;

    private static final Map<String, String> OPTION_OF_FIELD = Map.of(
            "temperature", "--temperature",
            "topK", "--top-k",
            "topP", "--top-p",
            "minP", "--min-p",
            "maxTokens", "--max-tokens");

    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String summary() {
        return "generate text from a prompt, streamed as it is produced";
    }

    @Override
    public String usage() {
        return "infera generate --model FILE --prompt TEXT [--max-tokens N] [--temperature T] [--top-k K] "
                + "[--top-p P] [--min-p P] [--seed S] [--threads N] [--json]";
    }

    @Override
    public List<Option> options() {
        return List.of(
                Option.value("--model", "FILE", "GGUF model (required)"),
                Option.value("--prompt", "TEXT", "the text to continue (default: empty, i.e. BOS only)"),
                Option.value("--max-tokens", "N", "most tokens to generate (default " + SamplingParams.DEFAULT_MAX_TOKENS + ")"),
                Option.value("--temperature", "T", "0 = greedy; higher = more random (default 1)"),
                Option.value("--top-k", "K", "sample among the K most likely tokens (default 0 = off)"),
                Option.value("--top-p", "P", "nucleus sampling mass in (0, 1] (default 1 = off)"),
                Option.value("--min-p", "P", "drop tokens below P times the top probability, [0, 1) (default 0 = off)"),
                Option.value("--seed", "S", "random seed: the same seed and settings give the same text"),
                Option.value("--threads", "N", "compute threads (default: all processors)"),
                Option.value("--backend", "ID", "auto (default: the best that can run here, named on stderr), cpu, cuda"),
                KvCacheTypeOption.option(),
                Option.flag("--ignore-eos", "keep generating past the end-of-sequence token"),
                Option.flag("--json", "print one JSON object with the text, token ids and timings instead of streaming"));
    }

    @Override
    public int run(Options options, PrintStream out, PrintStream err) {
        Path model = options.existingPath("--model");
        String prompt = options.string("--prompt", "");
        SamplingParams params = samplingParams(options);
        int threads = options.threads();
        boolean json = options.flag("--json");
        TokenListener streamer = json ? TokenListener.none() : new TokenListener() {
            @Override
            public void onToken(TokenChunk chunk) {
                if (!chunk.text().isEmpty()) {
                    out.print(chunk.text());
                    out.flush();
                }
            }
        };
        KvCacheType kvCacheType = KvCacheTypeOption.parse(options);
        BackendChoice backend = BackendChoice.resolve(options.string("--backend", "auto"), name());
        GenerationResult result;
        // Bad arguments found on the way (unknown backend, a prompt longer than the context) are user errors.
        try (InferenceEngine engine = InferenceEngine.builder().model(model).backend(backend.id())
                .computeThreads(threads).maxRunningRequests(1).kvCacheType(kvCacheType)
                .kvCacheTokens(kvCacheTokensFor(prompt, params.maxTokens())).build()) {
            backend.printNote(err);
            GenerationRequest request = GenerationRequest.builder().prompt(prompt).sampling(params).build();
            result = engine.submit(request, streamer).result().join();
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        } catch (CompletionException e) {
            if (e.getCause() instanceof RequestTooLargeException tooLarge) {
                throw new CliException(tooLarge.getMessage());
            }
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
        if (json) {
            out.println(Json.write(jsonOf(result)));
        } else {
            out.println();
            err.printf("[%d prompt tokens, %d generated, time to first token %.1f ms, %.1f tokens/s, finish: %s]%n",
                    result.promptTokens(), result.completionTokens(), ttftMillis(result), decodeTokensPerSecond(result),
                    result.finishReason().jsonName());
        }
        out.flush();
        return 0;
    }

    /**
     * A KV cache large enough for this one request instead of the engine's default share of free
     * memory, in tokens, so the engine converts it with its backend's own bytes per block (and caps it
     * at the model's context). The prompt is not tokenized here (that would load the tokenizer a second
     * time): a prompt never has more tokens than UTF-8 bytes plus the few special tokens a tokenizer adds.
     */
    static int kvCacheTokensFor(String prompt, int maxTokens) {
        long promptTokensAtMost = (long) prompt.getBytes(StandardCharsets.UTF_8).length + SPECIAL_TOKENS_AT_MOST;
        return (int) Math.min(Integer.MAX_VALUE, promptTokensAtMost + maxTokens);
    }

    private static SamplingParams samplingParams(Options options) {
        SamplingParams.Builder b = SamplingParams.builder()
                .maxTokens(options.intValue("--max-tokens", SamplingParams.DEFAULT_MAX_TOKENS))
                .temperature(options.doubleValue("--temperature", 1.0))
                .topK(options.intValue("--top-k", 0))
                .topP(options.doubleValue("--top-p", 1.0))
                .minP(options.doubleValue("--min-p", 0.0))
                .ignoreEos(options.flag("--ignore-eos"));
        if (options.has("--seed")) {
            b.seed(options.longValue("--seed", 0));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new CliException(withOptionName(e.getMessage()));
        }
    }

    /** Rewrites "topP must be ..." as "--top-p must be ...". */
    private static String withOptionName(String message) {
        for (Map.Entry<String, String> e : OPTION_OF_FIELD.entrySet()) {
            if (message.startsWith(e.getKey() + " ")) {
                return e.getValue() + message.substring(e.getKey().length());
            }
        }
        return message;
    }

    private static double ttftMillis(GenerationResult r) {
        return r.timings().timeToFirstToken().toNanos() / 1e6;
    }

    /** Tokens per second after the first token. */
    private static double decodeTokensPerSecond(GenerationResult r) {
        long nanos = 0;
        for (var gap : r.timings().interTokenGaps()) {
            nanos += gap.toNanos();
        }
        return nanos <= 0 ? 0 : r.timings().interTokenGaps().size() * 1e9 / nanos;
    }

    private static Map<String, Object> jsonOf(GenerationResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", r.text());
        m.put("token_ids", r.tokenIds());
        m.put("finish_reason", r.finishReason().jsonName());
        m.put("prompt_tokens", r.promptTokens());
        m.put("completion_tokens", r.completionTokens());
        m.put("ttft_ms", Math.round(ttftMillis(r) * 1000) / 1000.0);
        m.put("decode_tokens_per_s", Math.round(decodeTokensPerSecond(r) * 100) / 100.0);
        return m;
    }
}
