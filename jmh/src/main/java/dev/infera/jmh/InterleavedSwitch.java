package dev.infera.jmh;

import dev.infera.api.EngineStats;
import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.InferenceEngine;
import dev.infera.api.InferenceEngineBuilder;
import dev.infera.api.KvCacheType;
import dev.infera.api.SamplingParams;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * A/B of a code path on a noisy machine (not a JMH benchmark): one engine, one JVM, and a
 * {@code static int} switch that a developer adds temporarily to the code under test. Each round sets
 * the switch to every value in turn (by reflection) and runs the same workload, {@code C} concurrent
 * greedy requests of 128 random prompt tokens and {@code N} generated tokens; it prints each value's
 * median, minimum and maximum decode speed over the rounds (the engine's decode-only steps: tokens of
 * steps without prompt work / their time, the number {@code infera bench} reports as decode
 * throughput). Because the values alternate within seconds of each other in one process, load from
 * other programs falls on all of them alike, which separate runs of two builds cannot promise.
 *
 * <p>The switch must be read on the measured path each time (not folded into a {@code final} at
 * construction); a first round runs unrecorded as JIT warm-up. Prompt tokens are drawn below 30,003,
 * so the model's vocabulary must be at least that large (the synthetic presets' are).
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
 * -cp jmh/target/benchmarks.jar dev.infera.jmh.InterleavedSwitch MODEL.gguf CLASS FIELD ROUNDS C N V1 V2...}
 *
 * <p>With {@code engine kvCacheType} in place of {@code CLASS FIELD} the values are
 * {@link KvCacheType} names and each gets its own engine (1 GiB of KV cache each), run in turn the same
 * way. With {@code build:CLASS FIELD} the switch is read while an engine is built (a weight layout
 * chosen at load, say): each value gets its own engine, built with the switch at that value.
 */
public final class InterleavedSwitch {

    private static final int PROMPT_TOKENS = 128;

    private InterleavedSwitch() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 8) {
            System.err.println("usage: InterleavedSwitch MODEL.gguf CLASS FIELD ROUNDS CONCURRENCY OUTPUT_TOKENS V1 V2...\n"
                    + "   or: InterleavedSwitch MODEL.gguf engine kvCacheType ROUNDS CONCURRENCY OUTPUT_TOKENS F32 F16...");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int rounds = Integer.parseInt(args[3]);
        int concurrency = Integer.parseInt(args[4]);
        int outputTokens = Integer.parseInt(args[5]);
        String[] values = Arrays.copyOfRange(args, 6, args.length);
        List<InferenceEngine> engines = new ArrayList<>();
        Field field = null;
        try {
            if (args[1].equals("engine")) {
                if (!args[2].equals("kvCacheType")) {
                    throw new IllegalArgumentException("the engine setting to vary must be kvCacheType, got " + args[2]);
                }
                for (String v : values) {
                    engines.add(builder(model).kvCacheType(KvCacheType.valueOf(v)).build());
                }
            } else if (args[1].startsWith("build:")) {
                Field atBuild = switchField(args[1].substring("build:".length()), args[2]);
                for (String v : values) {
                    atBuild.setInt(null, Integer.parseInt(v));
                    engines.add(builder(model).build());
                }
            } else {
                field = switchField(args[1], args[2]);
                engines.add(builder(model).build());
            }
            List<List<Double>> speeds = new ArrayList<>();
            for (int i = 0; i < values.length; i++) {
                speeds.add(new ArrayList<>());
            }
            Random random = new Random(1);
            for (int round = -1; round < rounds; round++) {
                for (int i = 0; i < values.length; i++) {
                    if (field != null) {
                        field.setInt(null, Integer.parseInt(values[i]));
                    }
                    double speed = decodeSpeed(engines.get(field != null ? 0 : i), concurrency, outputTokens, random);
                    if (round >= 0) {
                        speeds.get(i).add(speed);
                    }
                }
            }
            for (int i = 0; i < values.length; i++) {
                List<Double> s = speeds.get(i);
                Collections.sort(s);
                System.out.printf(Locale.ROOT, "%s=%s: decode tok/s median %.1f, min %.1f, max %.1f (%d rounds)%n",
                        args[2], values[i], s.get(s.size() / 2), s.getFirst(), s.getLast(), s.size());
            }
        } finally {
            for (InferenceEngine e : engines) {
                e.close();
            }
        }
    }

    private static Field switchField(String className, String name) throws ReflectiveOperationException {
        Field f = Class.forName(className).getDeclaredField(name);
        if (!Modifier.isStatic(f.getModifiers()) || Modifier.isFinal(f.getModifiers()) || f.getType() != int.class) {
            throw new IllegalArgumentException(className + "." + name + " must be a non-final static int");
        }
        f.setAccessible(true);
        return f;
    }

    private static InferenceEngineBuilder builder(Path model) {
        return InferenceEngine.builder().model(model).computeThreads(2).kvCacheBytes(1L << 30);
    }

    private static double decodeSpeed(InferenceEngine engine, int concurrency, int outputTokens, Random random)
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
        EngineStats before = engine.stats();
        for (CompletableFuture<GenerationResult> f : engine.generateAll(requests)) {
            f.get();
        }
        EngineStats after = engine.stats();
        return (after.decodeStepTokens() - before.decodeStepTokens())
                / (after.decodeStepSeconds() - before.decodeStepSeconds());
    }
}
