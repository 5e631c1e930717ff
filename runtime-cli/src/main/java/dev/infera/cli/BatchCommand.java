package dev.infera.cli;

import dev.infera.api.GenerationResult;
import dev.infera.api.GenerationTimings;
import dev.infera.api.InferenceEngine;
import dev.infera.api.InferenceEngineBuilder;
import dev.infera.api.KvCacheType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code infera batch}: runs every request of a JSONL file through one engine, concurrently, and
 * writes one JSONL result per request as it finishes (see {@link BatchLine} for the input fields and
 * {@link BatchOutput} for resuming). A bad line becomes an error line and the rest still run. The
 * chosen KV cache size is printed to stderr at start; a progress bar is drawn on stderr when it is a
 * terminal (see {@link Terminal} for how that is decided, and {@code --progress}/{@code --no-progress}).
 */
final class BatchCommand implements Command {

    @Override
    public String name() {
        return "batch";
    }

    @Override
    public String summary() {
        return "run a JSONL file of requests through one engine, writing JSONL results";
    }

    @Override
    public String usage() {
        return "infera batch --model FILE --input IN.jsonl --output OUT.jsonl [--max-running N] [--progress|--no-progress]";
    }

    @Override
    public List<Option> options() {
        return List.of(
                Option.value("--model", "FILE", "GGUF model (required)"),
                Option.value("--input", "IN.jsonl", "requests: {\"id\", \"prompt\", optional max_tokens, temperature, "
                        + "top_p, top_k, seed, stop} per line (required)"),
                Option.value("--output", "OUT.jsonl", "results, appended; ids already there are skipped (required)"),
                Option.value("--max-running", "N", "most requests generating at once (default 256)"),
                Option.value("--threads", "N", "compute threads (default: all processors)"),
                Option.value("--backend", "ID", "auto (default: the best that can run here, named on stderr), cpu, cuda"),
                KvCacheTypeOption.option(),
                Option.flag("--progress", "show the progress bar on stderr even when it is not a terminal"),
                Option.flag("--no-progress", "never show the progress bar (default: shown when stderr is a terminal)"));
    }

    @Override
    public int run(Options options, PrintStream out, PrintStream err) throws Exception {
        Path model = options.existingPath("--model");
        Path input = options.existingPath("--input");
        Path output = Path.of(options.require("--output"));
        int maxRunning = options.intValue("--max-running", 256);
        if (maxRunning < 1) {
            throw new CliException("--max-running must be at least 1, got " + maxRunning);
        }
        int threads = options.threads();
        if (options.flag("--progress") && options.flag("--no-progress")) {
            throw new CliException("--progress and --no-progress contradict each other");
        }
        boolean showProgress = options.flag("--progress")
                || (!options.flag("--no-progress") && Terminal.isStderrTerminal(err));
        List<BatchLine> lines = readInput(input);
        KvCacheType kvCacheType = KvCacheTypeOption.parse(options);
        BackendChoice backend = BackendChoice.resolve(options.string("--backend", "auto"), name());
        try (BatchOutput results = BatchOutput.open(output)) {
            if (results.discardedBytes() > 0) {
                err.println("infera batch: discarded a torn last line (" + results.discardedBytes() + " bytes) of "
                        + output + "; its request runs again");
            }
            Map<String, Integer> firstLine = new HashMap<>();
            List<BatchLine> toRun = new ArrayList<>();
            List<Map<String, Object>> lineErrors = new ArrayList<>();
            int skipped = 0;
            for (BatchLine line : lines) {
                String key = line.idKey();
                if ((key != null && results.doneIds().contains(key))
                        || results.doneIds().contains(BatchOutput.lineKey(line.lineNumber()))) {
                    skipped++;
                } else if (key != null && firstLine.containsKey(key)) {
                    lineErrors.add(errorRecord(null, line.lineNumber(), "line " + line.lineNumber() + ": duplicate id "
                            + key + " (first on line " + firstLine.get(key) + ")"));
                } else if (line.error() != null) {
                    lineErrors.add(errorRecord(line.id(), line.lineNumber(), line.error()));
                } else {
                    firstLine.put(key, line.lineNumber());
                    toRun.add(line);
                }
            }
            for (Map<String, Object> e : lineErrors) {
                results.write(e);
            }
            AtomicInteger failed = new AtomicInteger(lineErrors.size());
            AtomicReference<IOException> writeError = new AtomicReference<>();
            ProgressBar progress = null;
            try (InferenceEngine engine = InferenceEngine.builder().model(model).backend(backend.id())
                    .computeThreads(threads).maxRunningRequests(maxRunning).kvCacheType(kvCacheType).build()) {
                backend.printNote(err);
                err.println("infera batch: " + Terminal.kvCacheLine(engine.stats(), InferenceEngineBuilder.DEFAULT_BLOCK_SIZE));
                if (showProgress) {
                    progress = new ProgressBar(err);
                    progress.setTotal(toRun.size() + lineErrors.size());
                    for (int i = 0; i < lineErrors.size(); i++) {
                        progress.advance(true, 0);
                    }
                }
                ProgressBar bar = progress;
                List<CompletableFuture<?>> all = new ArrayList<>(toRun.size());
                for (BatchLine line : toRun) {
                    // A line the engine refuses (e.g. a prompt that encodes to no tokens) becomes an
                    // error line for its id; the other lines still run.
                    CompletableFuture<GenerationResult> f;
                    try {
                        f = engine.generateAll(List.of(line.request())).getFirst();
                    } catch (RuntimeException e) {
                        f = CompletableFuture.failedFuture(e);
                    }
                    all.add(f.handle((result, error) -> {
                        Map<String, Object> record = error == null ? resultRecord(line.id(), result)
                                : errorRecord(line.id(), line.lineNumber(), describe(error));
                        if (error != null) {
                            failed.incrementAndGet();
                        }
                        try {
                            results.write(record);
                        } catch (IOException e) {
                            writeError.compareAndSet(null, e);
                        }
                        if (bar != null) {
                            bar.advance(error != null, result == null ? 0 : result.completionTokens());
                        }
                        return null;
                    }));
                }
                CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            }
            if (progress != null) {
                progress.finish();
            }
            if (writeError.get() != null) {
                throw writeError.get();
            }
            err.println("infera batch: " + (toRun.size() + lineErrors.size()) + " requests, "
                    + (toRun.size() + lineErrors.size() - failed.get()) + " completed, " + failed.get() + " errors, "
                    + skipped + " skipped (already in " + output.getFileName() + ")");
        }
        return 0;
    }

    private static List<BatchLine> readInput(Path input) throws IOException {
        List<BatchLine> lines = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            String text;
            int number = 0;
            while ((text = reader.readLine()) != null) {
                number++;
                if (number == 1 && text.startsWith("\uFEFF")) {
                    text = text.substring(1);
                }
                if (!text.isBlank()) {
                    lines.add(BatchLine.parse(number, text));
                }
            }
        }
        return lines;
    }

    private static String describe(Throwable error) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    static Map<String, Object> resultRecord(Object id, GenerationResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("text", r.text());
        m.put("finish_reason", r.finishReason().jsonName());
        m.put("prompt_tokens", r.promptTokens());
        m.put("cached_prompt_tokens", r.cachedPromptTokens());
        m.put("completion_tokens", r.completionTokens());
        GenerationTimings t = r.timings();
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("queue_ms", millis(t.queueTime()));
        timings.put("ttft_ms", millis(t.timeToFirstToken()));
        timings.put("tpot_ms", millis(t.timePerOutputToken()));
        timings.put("e2e_ms", millis(t.endToEnd()));
        m.put("timings", timings);
        return m;
    }

    static Map<String, Object> errorRecord(Object id, int lineNumber, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (id != null) {
            m.put("id", id);
        }
        m.put("line", lineNumber);
        m.put("finish_reason", "error");
        m.put("error", message);
        return m;
    }

    private static double millis(Duration d) {
        return Math.round(d.toNanos() / 1e3) / 1e3;
    }
}
