package dev.infera.cli.bench;

import dev.infera.core.tokenizer.TokenType;
import dev.infera.core.tokenizer.Vocabulary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates a workload's requests from a {@link WorkloadSpec}: prompts are token ids drawn uniformly
 * (seeded) from a pool of ordinary vocabulary tokens, so every prompt has exactly the length drawn for
 * it and no control token (BOS, EOS, chat markers) appears by accident. The same spec, seed and pool
 * always give the same requests.
 *
 * <p>With {@code prefixLen > 0}, {@code numPrefixes} prefixes are drawn first and request {@code i}
 * starts with prefix {@code i % numPrefixes}, so the engine's prefix cache can serve that part of
 * every request after the first of its group.
 */
public final class Workload {

    /** One request of the workload. */
    public record Request(int index, int[] promptTokens, int outputTokens, int prefixGroup) {
    }

    private static final long TOKEN_STREAM = 0x9E3779B97F4A7C15L;
    private static final long LENGTH_STREAM = 0xC2B2AE3D27D4EB4FL;

    private Workload() {
    }

    /** The requests of {@code spec}, with token ids drawn from {@code tokenPool}. */
    public static List<Request> generate(WorkloadSpec spec, int[] tokenPool) {
        if (!spec.problems().isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", spec.problems()));
        }
        if (tokenPool.length == 0) {
            throw new IllegalArgumentException("the token pool is empty: the vocabulary has no ordinary tokens");
        }
        SplittableRandom tokens = new SplittableRandom(spec.seed() ^ TOKEN_STREAM);
        SplittableRandom lengths = new SplittableRandom(spec.seed() ^ LENGTH_STREAM);
        int[][] prefixes = new int[spec.prefixLen() > 0 ? spec.numPrefixes() : 0][];
        for (int p = 0; p < prefixes.length; p++) {
            prefixes[p] = draw(tokens, tokenPool, spec.prefixLen());
        }
        int[] inRange = spec.lengthRange(spec.inputLen());
        int[] outRange = spec.lengthRange(spec.outputLen());
        List<Request> requests = new ArrayList<>(spec.numPrompts());
        for (int i = 0; i < spec.numPrompts(); i++) {
            int inputLen = lengths.nextInt(inRange[0], inRange[1] + 1);
            int outputLen = lengths.nextInt(outRange[0], outRange[1] + 1);
            int group = prefixes.length == 0 ? -1 : i % prefixes.length;
            int[] unique = draw(tokens, tokenPool, inputLen);
            int[] prompt = unique;
            if (group >= 0) {
                prompt = Arrays.copyOf(prefixes[group], spec.prefixLen() + inputLen);
                System.arraycopy(unique, 0, prompt, spec.prefixLen(), inputLen);
            }
            requests.add(new Request(i, prompt, outputLen, group));
        }
        return requests;
    }

    private static int[] draw(SplittableRandom random, int[] pool, int count) {
        int[] ids = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = pool[random.nextInt(pool.length)];
        }
        return ids;
    }

    /**
     * The ids a prompt may use: the vocabulary's normal tokens; when it has fewer than two (an unusual
     * vocabulary), every token that is not control, unknown or unused.
     */
    public static int[] tokenPool(Vocabulary vocabulary) {
        int[] normal = collect(vocabulary, true);
        return normal.length >= 2 ? normal : collect(vocabulary, false);
    }

    private static int[] collect(Vocabulary v, boolean normalOnly) {
        int[] ids = new int[v.size()];
        int n = 0;
        for (int id = 0; id < v.size(); id++) {
            TokenType t = v.type(id);
            boolean keep = normalOnly ? t == TokenType.NORMAL
                    : t != TokenType.CONTROL && t != TokenType.UNKNOWN && t != TokenType.UNUSED;
            if (keep) {
                ids[n++] = id;
            }
        }
        return Arrays.copyOf(ids, n);
    }
}
