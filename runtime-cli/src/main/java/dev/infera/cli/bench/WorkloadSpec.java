package dev.infera.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a synthetic workload: how many requests, how long their prompts and outputs are, and
 * how much of each prompt is a prefix shared with other requests.
 *
 * <p>Each prompt is {@code prefixLen} tokens of one of {@code numPrefixes} shared prefixes (chosen
 * round-robin) followed by a unique part of about {@code inputLen} tokens; each output asks for about
 * {@code outputLen} tokens. "About": a length {@code L} is drawn uniformly from
 * {@code [L * (1 - rangeRatio), L * (1 + rangeRatio)]}, rounded, at least 1.
 *
 * @param numPrompts  requests in the workload
 * @param inputLen    mean tokens of each prompt's unique part
 * @param outputLen   mean tokens to generate
 * @param rangeRatio  in [0, 1): relative spread of both lengths
 * @param prefixLen   tokens of the shared prefix (0 = none)
 * @param numPrefixes distinct shared prefixes
 * @param seed        seeds token ids, lengths and arrival times
 */
public record WorkloadSpec(int numPrompts, int inputLen, int outputLen, double rangeRatio, int prefixLen,
        int numPrefixes, long seed) {

    /** The same workload with another number of prompts. */
    public WorkloadSpec withNumPrompts(int prompts) {
        return new WorkloadSpec(prompts, inputLen, outputLen, rangeRatio, prefixLen, numPrefixes, seed);
    }

    /** Every problem with these settings, each naming its option; empty when they are valid. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (numPrompts < 1) {
            p.add("--num-prompts must be at least 1, got " + numPrompts);
        }
        if (inputLen < 1) {
            p.add("--input-len must be at least 1, got " + inputLen);
        }
        if (outputLen < 1) {
            p.add("--output-len must be at least 1, got " + outputLen);
        }
        if (!(rangeRatio >= 0 && rangeRatio < 1)) {
            p.add("--range-ratio must be in [0, 1), got " + rangeRatio);
        }
        if (prefixLen < 0) {
            p.add("--prefix-len must be 0 or more, got " + prefixLen);
        }
        if (numPrefixes < 1) {
            p.add("--num-prefixes must be at least 1, got " + numPrefixes);
        }
        return p;
    }

    /** Smallest and largest length drawn around {@code mean}. */
    public int[] lengthRange(int mean) {
        int lo = Math.max(1, (int) Math.round(mean * (1 - rangeRatio)));
        int hi = Math.max(lo, (int) Math.round(mean * (1 + rangeRatio)));
        return new int[] {lo, hi};
    }

    /** The longest prompt this workload can contain. */
    public int maxPromptTokens() {
        return prefixLen + lengthRange(inputLen)[1];
    }

    /** The largest output this workload can ask for. */
    public int maxOutputTokens() {
        return lengthRange(outputLen)[1];
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("num_prompts", numPrompts);
        m.put("input_len", inputLen);
        m.put("output_len", outputLen);
        m.put("range_ratio", rangeRatio);
        m.put("prefix_len", prefixLen);
        m.put("num_prefixes", numPrefixes);
        m.put("seed", seed);
        return m;
    }
}
