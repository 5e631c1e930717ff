package dev.infera.cli;

import dev.infera.api.GenerationRequest;
import dev.infera.api.SamplingParams;
import dev.infera.core.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One line of an {@code infera batch} input file, parsed: either a request with its id, or an error
 * that names the line (and the id, when one could be read). Accepted fields: {@code id} (string or
 * integer, required), {@code prompt} (string, required), and optional {@code max_tokens},
 * {@code temperature}, {@code top_p}, {@code top_k}, {@code seed}, {@code stop} (a string or an
 * array of strings). Unknown fields are an error, so a misspelt option is not silently ignored.
 *
 * @param lineNumber 1-based line in the input
 * @param id         the request id as it appeared (a String or a Long), or null when unreadable
 * @param request    the request, or null when the line is bad
 * @param error      why the line is bad, or null
 */
record BatchLine(int lineNumber, Object id, GenerationRequest request, String error) {

    private static final Set<String> FIELDS = Set.of("id", "prompt", "max_tokens", "temperature", "top_p", "top_k",
            "seed", "stop");

    /** A key that identifies the id in both the input and the output file (its compact JSON). */
    String idKey() {
        return id == null ? null : Json.write(id);
    }

    static BatchLine parse(int lineNumber, String text) {
        Object id = null;
        try {
            Map<String, Object> o = Json.asObject(Json.parse(text), "the line");
            Object rawId = o.get("id");
            if (rawId instanceof String || rawId instanceof Long) {
                id = rawId;
            } else {
                throw new IllegalArgumentException(rawId == null && !o.containsKey("id") ? "missing \"id\""
                        : "\"id\" must be a string or an integer, got " + Json.typeName(rawId));
            }
            for (String key : o.keySet()) {
                if (!FIELDS.contains(key)) {
                    throw new IllegalArgumentException("unknown field \"" + key + "\" (accepted: " + String.join(", ",
                            FIELDS.stream().sorted().toList()) + ")");
                }
            }
            if (!(o.get("prompt") instanceof String prompt)) {
                throw new IllegalArgumentException(o.containsKey("prompt")
                        ? "\"prompt\" must be a string, got " + Json.typeName(o.get("prompt")) : "missing \"prompt\"");
            }
            SamplingParams.Builder s = SamplingParams.builder();
            if (o.containsKey("max_tokens")) {
                s.maxTokens(intField(o, "max_tokens"));
            }
            if (o.containsKey("temperature")) {
                s.temperature(numberField(o, "temperature"));
            }
            if (o.containsKey("top_p")) {
                s.topP(numberField(o, "top_p"));
            }
            if (o.containsKey("top_k")) {
                s.topK(intField(o, "top_k"));
            }
            if (o.containsKey("seed")) {
                if (!(o.get("seed") instanceof Long seed)) {
                    throw new IllegalArgumentException("\"seed\" must be an integer, got " + Json.typeName(o.get("seed")));
                }
                s.seed(seed);
            }
            if (o.containsKey("stop")) {
                s.stopStrings(stopField(o.get("stop")));
            }
            GenerationRequest request = GenerationRequest.builder().prompt(prompt).sampling(s.build()).build();
            return new BatchLine(lineNumber, id, request, null);
        } catch (RuntimeException e) {
            return new BatchLine(lineNumber, id, null, "line " + lineNumber + ": " + e.getMessage());
        }
    }

    private static int intField(Map<String, Object> o, String name) {
        if (o.get(name) instanceof Long v && v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            return v.intValue();
        }
        throw new IllegalArgumentException("\"" + name + "\" must be an integer, got " + Json.write(o.get(name)));
    }

    private static double numberField(Map<String, Object> o, String name) {
        if (o.get(name) instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException("\"" + name + "\" must be a number, got " + Json.typeName(o.get(name)));
    }

    private static List<String> stopField(Object value) {
        if (value instanceof String s) {
            return List.of(s);
        }
        if (value instanceof List<?> list) {
            List<String> out = new ArrayList<>();
            for (Object item : list) {
                if (!(item instanceof String s)) {
                    throw new IllegalArgumentException("\"stop\" entries must be strings, got " + Json.typeName(item));
                }
                out.add(s);
            }
            return out;
        }
        throw new IllegalArgumentException("\"stop\" must be a string or an array of strings, got " + Json.typeName(value));
    }
}
