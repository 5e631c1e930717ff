package dev.infera.cpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A reference trace from run.c or llama.cpp: per position the input token, the top-5 logits (and the
 * argmax where recorded), the chosen next token, and a few full logit vectors.
 */
record TraceFile(int[] promptTokens, List<Step> steps, Map<Integer, float[]> fullLogits) {

    record Step(int pos, int input, int argmax, int[] topIds, float[] topLogits, int next) {
    }

    static TraceFile read(Path path) {
        List<String> lines;
        try {
            lines = Files.readAllLines(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int[] prompt = null;
        List<Step> steps = new ArrayList<>();
        Map<Integer, float[]> full = new HashMap<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "PROMPT_TOKENS" -> {
                    prompt = new int[f.length - 1];
                    for (int i = 1; i < f.length; i++) {
                        prompt[i - 1] = Integer.parseInt(f[i]);
                    }
                }
                case "STEP" -> steps.add(step(f));
                case "NEXT" -> {
                    int pos = Integer.parseInt(value(f[1], "pos")) - 1;
                    Step last = steps.getLast();
                    if (last.pos() != pos) {
                        throw new IllegalStateException("NEXT for position " + pos + " follows STEP " + last.pos());
                    }
                    steps.set(steps.size() - 1, new Step(last.pos(), last.input(), last.argmax(), last.topIds(),
                            last.topLogits(), Integer.parseInt(value(f[2], "next"))));
                }
                case "LOGITS" -> {
                    float[] v = new float[f.length - 2];
                    for (int i = 2; i < f.length; i++) {
                        v[i - 2] = Float.parseFloat(f[i]);
                    }
                    full.put(Integer.parseInt(value(f[1], "pos")), v);
                }
                default -> {
                }
            }
        }
        return new TraceFile(prompt, steps, full);
    }

    private static Step step(String[] f) {
        int pos = -1;
        int input = -1;
        int argmax = -1;
        int[] ids = null;
        float[] logits = null;
        for (int i = 1; i < f.length; i++) {
            String[] kv = f[i].split("=", 2);
            switch (kv[0]) {
                case "pos" -> pos = Integer.parseInt(kv[1]);
                case "in" -> input = Integer.parseInt(kv[1]);
                case "argmax" -> argmax = Integer.parseInt(kv[1]);
                case "top5" -> {
                    String[] entries = kv[1].split(",");
                    ids = new int[entries.length];
                    logits = new float[entries.length];
                    for (int e = 0; e < entries.length; e++) {
                        String[] pair = entries[e].split(":");
                        ids[e] = Integer.parseInt(pair[0]);
                        logits[e] = Float.parseFloat(pair[1]);
                    }
                }
                default -> throw new IllegalStateException("unknown STEP field " + f[i]);
            }
        }
        return new Step(pos, input, argmax, ids, logits, -1);
    }

    private static String value(String field, String key) {
        if (!field.startsWith(key + "=")) {
            throw new IllegalStateException("expected " + key + "=..., got " + field);
        }
        return field.substring(key.length() + 1);
    }
}
