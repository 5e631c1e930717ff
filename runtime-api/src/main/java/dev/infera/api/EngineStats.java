package dev.infera.api;

/**
 * A snapshot of an engine's load and counters since it started.
 *
 * @param runningRequests          requests holding KV cache and taking part in steps
 * @param waitingRequests          requests queued (including ones still in the inbox)
 * @param kvBlocksUsed             KV blocks referenced by requests
 * @param kvBlocksTotal            KV blocks in the cache
 * @param prefixCacheQueryTokens   prompt tokens looked up in the prefix cache
 * @param prefixCacheHitTokens     of those, tokens found (their KV was reused)
 * @param preemptions              times a running request was preempted (to be recomputed later)
 * @param steps                    model steps run
 * @param promptTokens             tokens computed as prefill: prompt tokens (prefix-cache hits excluded)
 *                                 and, when a preempted request is recomputed, its prompt and the tokens it
 *                                 had generated (each sampled token is counted once as generated, and
 *                                 once more here for every recomputation that covers it)
 * @param generatedTokens          tokens generated
 * @param finishedRequests         requests completed, failed or cancelled
 * @param promptTokensPerSecond    computed prompt tokens per second of engine uptime
 * @param generatedTokensPerSecond generated tokens per second of engine uptime
 * @param kvCacheBytes             bytes of the KV cache ({@code kvBlocksTotal} blocks)
 * @param kvBlocksPeak             the most KV blocks in use at once since the engine started, counted while
 *                                 each step runs (before its finished requests free theirs)
 * @param decodeSteps              steps that computed no prompt tokens: every request in them decoded one token
 * @param decodeStepTokens         tokens generated in those steps
 * @param decodeStepSeconds        time spent in those steps, from planning to their logits (sampling excluded);
 *                                 {@code decodeStepTokens / decodeStepSeconds} is the aggregate decode speed
 *                                 without prefill work mixed in
 * @param prefixWaits              times a waiting request was held back for one step because the prompt
 *                                 blocks it would compute next were being computed by a running request
 *                                 (it then takes them from the prefix cache instead of computing its own copy)
 */
public record EngineStats(int runningRequests, int waitingRequests, int kvBlocksUsed, int kvBlocksTotal,
        long prefixCacheQueryTokens, long prefixCacheHitTokens, long preemptions, long steps, long promptTokens,
        long generatedTokens, long finishedRequests, double promptTokensPerSecond,
        double generatedTokensPerSecond, long kvCacheBytes, int kvBlocksPeak, long decodeSteps,
        long decodeStepTokens, double decodeStepSeconds, long prefixWaits) {
}
