package dev.infera.cli;

import dev.infera.api.SamplingParams;
import dev.infera.cli.bench.BandwidthProbe;
import dev.infera.cli.bench.BenchCache;
import dev.infera.cli.bench.BenchPlan;
import dev.infera.cli.bench.BenchRunner;
import dev.infera.cli.bench.EngineSettings;
import dev.infera.cli.bench.HtmlReport;
import dev.infera.cli.bench.JsonReport;
import dev.infera.cli.bench.LoadMode;
import dev.infera.cli.bench.ModelInfo;
import dev.infera.cli.bench.RunMetrics;
import dev.infera.cli.bench.Slo;
import dev.infera.cli.bench.Sweep;
import dev.infera.cli.bench.TextReport;
import dev.infera.cli.bench.WorkloadSpec;
import dev.infera.core.gguf.GgmlType;
import dev.infera.core.synth.SynthModel;
import dev.infera.core.synth.SynthPreset;
import dev.infera.cuda.DeviceBandwidth;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code infera bench}: measures the engine under a realistic concurrent workload and reports it the
 * way serving benchmarks do. With no options it makes (once, cached) a synthetic SmolLM2-135M Q8_0
 * model and runs an offline workload on it. See {@link dev.infera.cli.bench} for the pieces.
 */
final class BenchCommand implements Command {

    static final int DEFAULT_NUM_PROMPTS = 32;
    static final int DEFAULT_INPUT_LEN = 256;
    static final int DEFAULT_OUTPUT_LEN = 128;
    static final long SYNTH_SEED = 42;

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "benchmark the engine under a concurrent workload (default: synthetic SmolLM2-135M Q8_0)";
    }

    @Override
    public String usage() {
        return "infera bench [--model FILE] [--num-prompts N] [--input-len N] [--output-len N] [--request-rate R | "
                + "--max-concurrency N | --sweep concurrency=1,4,16] [--json FILE] [--html FILE] ...";
    }

    @Override
    public List<Option> options() {
        return List.of(
                Option.value("--model", "FILE", "GGUF model (default: a synthetic model, made once and cached)"),
                Option.value("--preset", "NAME", "shape of the default synthetic model (default smollm2-135m)"),
                Option.value("--dtype", "TYPE", "matrix type of the default synthetic model (default q8_0)"),
                Option.value("--cache-dir", "DIR", "where synthetic models and the bandwidth are cached "
                        + "(default $XDG_CACHE_HOME/infera or ~/.cache/infera)"),
                Option.value("--num-prompts", "N", "requests (default " + DEFAULT_NUM_PROMPTS + "; in a concurrency "
                        + "sweep max(8, 2 x level))"),
                Option.value("--input-len", "N", "prompt tokens per request, after the prefix (default "
                        + DEFAULT_INPUT_LEN + ")"),
                Option.value("--output-len", "N", "tokens to generate per request (default " + DEFAULT_OUTPUT_LEN + ")"),
                Option.value("--range-ratio", "R", "lengths vary uniformly within +-R of the mean, 0 <= R < 1 (default 0)"),
                Option.value("--prefix-len", "N", "tokens of a prefix shared between requests (default 0)"),
                Option.value("--num-prefixes", "N", "distinct shared prefixes, used round-robin (default 1)"),
                Option.flag("--ignore-eos", "keep generating past end-of-sequence tokens"),
                Option.value("--temperature", "T", "sampling temperature (default 0: greedy)"),
                Option.value("--seed", "N", "seeds prompts, lengths and arrivals (default 0)"),
                Option.value("--request-rate", "R", "Poisson arrivals per second, or inf: all at once (default inf)"),
                Option.value("--max-concurrency", "N", "most requests in flight (default: no limit)"),
                Option.value("--sweep", "SPEC", "run once per level: concurrency=1,4,16,32,64 or rate=1,2,4"),
                Option.value("--slo", "SPEC", "objectives for goodput, e.g. ttft=500,tpot=50 (ms)"),
                Option.value("--threads", "N", "compute threads (default: all processors)"),
                Option.value("--backend", "ID", "auto (default: the best that can run here, named on stderr), cpu, cuda"),
                Option.value("--max-batch-tokens", "N", "engine token budget per step (default 2048)"),
                Option.value("--max-running", "N", "most requests the engine runs at once (default 256)"),
                Option.value("--kv-cache-mib", "N", "KV cache size in MiB (default: room for the requests in flight, plus the shared prefixes when cached)"),
                Option.value("--block-size", "N", "tokens per KV block (default 16)"),
                KvCacheTypeOption.option(),
                Option.flag("--no-prefix-cache", "turn prefix caching off"),
                Option.value("--warmup", "N", "short warm-up requests before measuring (default auto: as many as the run keeps in flight, 4 to 64)"),
                Option.value("--bandwidth-gbs", "X", "memory bandwidth for the roofline (default: measured once per thread count and cached)"),
                Option.value("--json", "FILE", "write every number and the configuration as JSON"),
                Option.value("--html", "FILE", "write a self-contained HTML report with charts"),
                Option.flag("--progress", "show the live progress line even when stderr is not a terminal"));
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        List<String> problems = new ArrayList<>();
        WorkloadSpec spec = new WorkloadSpec(o.intValue("--num-prompts", DEFAULT_NUM_PROMPTS),
                o.intValue("--input-len", DEFAULT_INPUT_LEN), o.intValue("--output-len", DEFAULT_OUTPUT_LEN),
                o.doubleValue("--range-ratio", 0), o.intValue("--prefix-len", 0), o.intValue("--num-prefixes", 1),
                o.longValue("--seed", 0));
        problems.addAll(spec.problems());
        LoadMode mode = loadMode(o);
        Sweep sweep = parse(() -> o.find("--sweep").map(Sweep::parse).orElse(null));
        Slo slo = parse(() -> o.find("--slo").map(Slo::parse).orElse(Slo.NONE));
        int threads = o.intValue("--threads", Runtime.getRuntime().availableProcessors());
        long kvMib = o.longValue("--kv-cache-mib", 0);
        EngineSettings requested = new EngineSettings(o.string("--backend", "auto"), threads,
                o.intValue("--max-batch-tokens", 2048), o.intValue("--max-running", 256), kvMib << 20,
                o.intValue("--block-size", 16), KvCacheTypeOption.parse(o), !o.flag("--no-prefix-cache"));
        atLeast(problems, "--threads", threads, 1);
        atLeast(problems, "--max-batch-tokens", requested.maxBatchTokens(), 1);
        atLeast(problems, "--max-running", requested.maxRunningRequests(), 1);
        atLeast(problems, "--block-size", requested.blockSize(), 1);
        atLeast(problems, "--kv-cache-mib", kvMib, 0);
        boolean autoWarmup = o.string("--warmup", "auto").trim().equals("auto");
        int warmup = autoWarmup ? BenchPlan.AUTO_WARMUP : o.intValue("--warmup", 0);
        if (!autoWarmup) {
            atLeast(problems, "--warmup", warmup, 0);
        }
        double bandwidth = o.doubleValue("--bandwidth-gbs", Double.NaN);
        if (o.has("--bandwidth-gbs") && !(bandwidth > 0 && Double.isFinite(bandwidth))) {
            problems.add("--bandwidth-gbs must be a positive number, got " + o.string("--bandwidth-gbs", ""));
        }
        SamplingParams sampling = parse(() -> SamplingParams.builder()
                .temperature((float) o.doubleValue("--temperature", 0)).ignoreEos(o.flag("--ignore-eos"))
                .seed(o.longValue("--seed", 0)).build());
        Path json = outputFile(o, "--json", problems);
        Path html = outputFile(o, "--html", problems);
        if (!problems.isEmpty()) {
            throw new CliException(String.join("; ", problems));
        }

        BenchCache cache = o.find("--cache-dir").map(d -> new BenchCache(Path.of(d)))
                .orElseGet(() -> BenchCache.forUser(System.getenv()));
        if (o.has("--model") && (o.has("--preset") || o.has("--dtype"))) {
            throw new CliException("--preset and --dtype choose the synthetic default model; leave them out with --model");
        }
        Path model = o.has("--model") ? o.existingPath("--model") : defaultModel(o, cache, threads, err);
        ModelInfo info = ModelInfo.read(model);
        int longest = spec.maxPromptTokens() + spec.maxOutputTokens();
        if (longest > info.contextLength()) {
            throw new CliException("the longest request (" + spec.maxPromptTokens() + " prompt + "
                    + spec.maxOutputTokens() + " output tokens) does not fit the model's context of "
                    + info.contextLength() + " tokens");
        }
        BackendChoice backend = BackendChoice.resolve(requested.backend(), name());
        backend.printNote(err);
        EngineSettings engine = requested.withBackend(backend.id());
        String bandwidthSource = "--bandwidth-gbs";
        if (!o.has("--bandwidth-gbs") && engine.backend().equals("cuda")) {
            DeviceBandwidth.Measurement m = DeviceBandwidth.measure(DeviceBandwidth.DEFAULT_BUFFER_BYTES,
                    DeviceBandwidth.DEFAULT_COPIES);
            bandwidth = m.gbs();
            bandwidthSource = "device copy bandwidth of " + m.deviceName();
        } else if (!o.has("--bandwidth-gbs")) {
            bandwidth = BandwidthProbe.cachedOrMeasure(cache, threads, err);
            bandwidthSource = "measured with " + threads + " threads, cached in "
                    + cache.folder().resolve(BandwidthProbe.cacheFileName(threads));
        }
        BenchPlan plan = new BenchPlan(model, info.description(), spec, o.has("--num-prompts"), mode, sweep, engine,
                sampling, slo, warmup, info.weightBytesPerStep(), bandwidth, bandwidthSource);
        PrintStream progress = o.flag("--progress") || Terminal.isStderrTerminal(err) ? err : null;
        List<RunMetrics> runs;
        try {
            runs = new BenchRunner(plan, info.tokenPool())
                    .runAll(progress, stats -> err.println("infera bench: " + Terminal.kvCacheLine(stats, engine.blockSize())));
        } catch (IllegalArgumentException | IllegalStateException e) {
            // The engine refused its settings (unknown backend, a KV cache smaller than one block, ...).
            throw new CliException("cannot start the engine: " + e.getMessage());
        }
        if (sweep == null) {
            TextReport.printSummary(out, plan, runs.getFirst());
        } else {
            TextReport.printSweepTable(out, plan, runs);
        }
        if (json != null) {
            JsonReport.write(json, plan, runs);
            err.println("infera bench: wrote " + json);
        }
        if (html != null) {
            HtmlReport.write(html, plan, runs);
            err.println("infera bench: wrote " + html);
        }
        int failed = runs.stream().mapToInt(RunMetrics::failed).sum();
        if (failed > 0) {
            err.println("infera bench: " + failed + " requests failed; first: " + runs.stream()
                    .map(RunMetrics::firstError).filter(e -> e != null).findFirst().orElse("?"));
            return 1;
        }
        return 0;
    }

    private static LoadMode loadMode(Options o) {
        String rate = o.string("--request-rate", "inf").trim();
        double perSecond;
        if (rate.equalsIgnoreCase("inf")) {
            perSecond = Double.POSITIVE_INFINITY;
        } else {
            perSecond = o.doubleValue("--request-rate", Double.POSITIVE_INFINITY);
        }
        int concurrency = o.intValue("--max-concurrency", 0);
        if (o.has("--max-concurrency") && concurrency < 1) {
            throw new CliException("--max-concurrency must be at least 1, got " + concurrency);
        }
        return parse(() -> new LoadMode(perSecond, concurrency));
    }

    private static Path defaultModel(Options o, BenchCache cache, int threads, PrintStream err) {
        SynthPreset preset = parse(() -> SynthPreset.byName(o.string("--preset", SynthPreset.SMOLLM2_135M.name())));
        String dtypeName = o.string("--dtype", "q8_0");
        GgmlType dtype;
        try {
            dtype = GgmlType.valueOf(dtypeName.toUpperCase(Locale.ROOT));
            new SynthModel(SynthPreset.TINY, dtype);
        } catch (IllegalArgumentException e) {
            throw new CliException("unsupported --dtype '" + dtypeName
                    + "' (supported: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k)");
        }
        return cache.syntheticModel(preset, dtype, SYNTH_SEED, threads, err);
    }

    private static Path outputFile(Options o, String name, List<String> problems) {
        if (!o.has(name)) {
            return null;
        }
        Path p = Path.of(o.string(name, ""));
        Path parent = p.toAbsolutePath().getParent();
        if (Files.isDirectory(p)) {
            problems.add(name + " must name a file, but " + p + " is a folder");
        } else if (parent != null && !Files.isDirectory(parent)) {
            problems.add("folder of " + name + " does not exist: " + parent);
        }
        return p;
    }

    private static void atLeast(List<String> problems, String name, long value, long min) {
        if (value < min) {
            problems.add(name + " must be at least " + min + ", got " + value);
        }
    }

    /** Runs a parser, turning its IllegalArgumentException into a one-line CLI error. */
    private static <T> T parse(java.util.function.Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

}
