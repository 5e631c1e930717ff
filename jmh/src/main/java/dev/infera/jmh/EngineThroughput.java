package dev.infera.jmh;

import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.InferenceEngine;
import dev.infera.api.SamplingParams;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * End-to-end engine throughput (not a JMH benchmark: one run is seconds to minutes): for each
 * concurrency level, submits that many greedy requests at once, each a distinct random 128-token
 * prompt generating exactly 128 tokens (end-of-sequence ignored), and reports generated tokens per
 * second of wall time (prefill included), the mean time to first token and the mean time per output
 * token. A short warm-up run comes first.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar
 * dev.infera.jmh.EngineThroughput MODEL.gguf [THREADS] [LEVELS...]}
 */
public final class EngineThroughput {

    private static final int PROMPT_TOKENS = 128;
    private static final int OUTPUT_TOKENS = 128;

    private EngineThroughput() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: EngineThroughput MODEL.gguf [THREADS] [CONCURRENCY...]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        int[] levels = args.length > 2
                ? java.util.Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 8, 32, 64};
        try (InferenceEngine engine = InferenceEngine.builder().model(model).computeThreads(threads)
                .kvCacheBytes(1L << 30).build()) {
            Random random = new Random(1);
            run(engine, 4, 16, random);
            System.out.printf(Locale.ROOT, "%-11s %12s %10s %10s %8s%n", "concurrent", "output tok/s", "TTFT ms",
                    "TPOT ms", "wall s");
            for (int level : levels) {
                long start = System.nanoTime();
                List<GenerationResult> results = run(engine, level, OUTPUT_TOKENS, random);
                double seconds = (System.nanoTime() - start) / 1e9;
                long tokens = results.stream().mapToLong(GenerationResult::completionTokens).sum();
                double ttft = results.stream().mapToDouble(r -> r.timings().timeToFirstToken().toNanos() / 1e6)
                        .average().orElse(0);
                double tpot = results.stream().mapToDouble(r -> r.timings().timePerOutputToken().toNanos() / 1e6)
                        .average().orElse(0);
                System.out.printf(Locale.ROOT, "%-11d %12.1f %10.1f %10.1f %8.1f%n", level, tokens / seconds, ttft,
                        tpot, seconds);
            }
            System.out.println(engine.stats());
        }
    }

    private static List<GenerationResult> run(InferenceEngine engine, int concurrency, int outputTokens, Random random)
            throws Exception {
        List<GenerationRequest> requests = new ArrayList<>(concurrency);
        for (int i = 0; i < concurrency; i++) {
            int[] prompt = new int[PROMPT_TOKENS];
            for (int t = 0; t < prompt.length; t++) {
                prompt[t] = 3 + random.nextInt(30_000);
            }
            requests.add(GenerationRequest.builder().promptTokens(prompt).sampling(SamplingParams.builder()
                    .temperature(0).maxTokens(outputTokens).ignoreEos(true).build()).build());
        }
        List<CompletableFuture<GenerationResult>> futures = engine.generateAll(requests);
        List<GenerationResult> results = new ArrayList<>(concurrency);
        for (CompletableFuture<GenerationResult> f : futures) {
            results.add(f.get());
        }
        return results;
    }
}
