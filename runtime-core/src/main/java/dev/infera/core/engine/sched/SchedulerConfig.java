package dev.infera.core.engine.sched;

import dev.infera.api.SchedulingPolicy;

/**
 * The scheduler's limits.
 *
 * @param maxBatchTokens     token budget of one step (prompt chunks plus decodes)
 * @param maxRunningRequests most sequences holding KV and taking part in steps at once
 * @param policy             the service order (FCFS or priority)
 */
public record SchedulerConfig(int maxBatchTokens, int maxRunningRequests, SchedulingPolicy policy) {

    public SchedulerConfig {
        if (maxBatchTokens < 1) {
            throw new IllegalArgumentException("maxBatchTokens must be at least 1, got " + maxBatchTokens);
        }
        if (maxRunningRequests < 1) {
            throw new IllegalArgumentException("maxRunningRequests must be at least 1, got " + maxRunningRequests);
        }
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
    }
}
