package dev.infera.cli.bench;

import dev.infera.core.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The machine-readable report of {@code --json FILE}: the full configuration and every number of
 * every run (a single run, or one per sweep level), with unknown values as {@code null}.
 */
public final class JsonReport {

    /** Bumped when fields change meaning or disappear. */
    public static final int FORMAT_VERSION = 1;

    private JsonReport() {
    }

    public static Map<String, Object> toJson(BenchPlan plan, List<RunMetrics> runs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format_version", FORMAT_VERSION);
        m.put("config", plan.toJson());
        m.put("runs", runs.stream().map(RunMetrics::toJson).toList());
        return m;
    }

    public static void write(Path file, BenchPlan plan, List<RunMetrics> runs) throws IOException {
        Files.writeString(file, Json.writePretty(toJson(plan, runs)) + "\n");
    }
}
