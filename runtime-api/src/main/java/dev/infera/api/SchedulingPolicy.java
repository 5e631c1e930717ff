package dev.infera.api;

/** The order in which an engine serves requests when they compete for compute and KV cache. */
public enum SchedulingPolicy {
    /**
     * First come, first served: requests start in arrival order, and when the KV cache runs out the
     * most recently arrived running request is preempted.
     */
    FCFS,
    /**
     * Higher {@link GenerationRequest#priority()} first, arrival order among equals. When the KV cache
     * or the running set is full, a waiting request preempts a running one of strictly lower priority.
     */
    PRIORITY
}
