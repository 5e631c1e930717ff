package dev.infera.cli.bench;

import dev.infera.api.EngineStats;
import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.InferenceEngine;
import dev.infera.api.SamplingParams;
import dev.infera.api.TokenListener;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Offers a workload to a running engine the way clients would (see {@link LoadMode}) and collects what
 * every request measured. The calling thread is the dispatcher: it sleeps until each request's
 * arrival time, waits for a concurrency permit when the mode caps concurrency, then submits. A
 * request that the engine refuses or fails counts as a failed outcome; the run goes on.
 *
 * <p>The run's duration is from the first submission to the last completion, the span vLLM-style
 * throughput numbers divide by.
 */
public final class LoadDriver {

    /** What one run measured. */
    public record Measurement(List<RequestOutcome> outcomes, long durationNanos, EngineStats before,
            EngineStats after, int peakKvBlocksUsed) {
    }

    private final InferenceEngine engine;
    private final SamplingParams sampling;

    /** @param sampling the sampling settings of every request ({@code maxTokens} is set per request) */
    public LoadDriver(InferenceEngine engine, SamplingParams sampling) {
        this.engine = engine;
        this.sampling = sampling;
    }

    /**
     * Runs {@code requests} under {@code mode}; arrival times come from {@code seed}. Progress goes to
     * {@code progress} when it is not null.
     */
    public Measurement run(List<Workload.Request> requests, LoadMode mode, long seed, PrintStream progress,
            String label) {
        double[] arrivals = ArrivalSchedule.poisson(requests.size(), mode.requestRate(), seed);
        Semaphore permits = mode.maxConcurrency() > 0 ? new Semaphore(mode.maxConcurrency()) : null;
        List<CompletableFuture<RequestOutcome>> futures = new ArrayList<>(requests.size());
        AtomicLong lastDoneNanos = new AtomicLong();
        try (StatsSampler sampler = new StatsSampler(engine, progress, label, requests.size())) {
            long startNanos = System.nanoTime();
            lastDoneNanos.set(startNanos);
            for (int i = 0; i < requests.size(); i++) {
                Workload.Request r = requests.get(i);
                sleepUntil(startNanos + (long) (arrivals[i] * 1e9));
                acquire(permits);
                CompletableFuture<RequestOutcome> outcome = submit(r).whenComplete((o, e) -> {
                    lastDoneNanos.accumulateAndGet(System.nanoTime(), Math::max);
                    if (permits != null) {
                        permits.release();
                    }
                });
                futures.add(outcome);
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
            sampler.close();
            List<RequestOutcome> outcomes = futures.stream().map(CompletableFuture::join).toList();
            return new Measurement(outcomes, Math.max(1, lastDoneNanos.get() - startNanos), sampler.start(),
                    engine.stats(), sampler.peakKvBlocksUsed());
        }
    }

    private CompletableFuture<RequestOutcome> submit(Workload.Request r) {
        GenerationRequest request = GenerationRequest.builder().promptTokens(r.promptTokens())
                .sampling(sampling.toBuilder().maxTokens(r.outputTokens()).build()).build();
        CompletableFuture<GenerationResult> result;
        try {
            result = engine.submit(request, TokenListener.none()).result();
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(RequestOutcome.failed(r.index(), r.promptTokens().length,
                    describe(e)));
        }
        return result.handle((ok, error) -> error == null ? RequestOutcome.of(r.index(), ok)
                : RequestOutcome.failed(r.index(), r.promptTokens().length, describe(error)));
    }

    private static void sleepUntil(long nanos) {
        long left;
        while ((left = nanos - System.nanoTime()) > 0) {
            try {
                Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the next arrival", e);
            }
        }
    }

    private static void acquire(Semaphore permits) {
        if (permits == null) {
            return;
        }
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a concurrency slot", e);
        }
    }

    private static String describe(Throwable error) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
