package dev.infera.core.engine;

import dev.infera.api.GenerationRequest;
import dev.infera.api.GenerationResult;
import dev.infera.api.InferenceEngine;
import dev.infera.api.RequestHandle;
import dev.infera.api.TokenChunk;
import dev.infera.api.TokenListener;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One subscription to {@link InferenceEngine#stream}: it submits the request when subscribed, buffers
 * the chunks the engine produces, and hands them to the subscriber only as far as it has requested.
 * All subscriber signals go through one drain loop guarded by a work-in-progress counter, so they are
 * serial even though chunks arrive on the callback executor and demand on the subscriber's thread.
 * The engine never waits for the subscriber: a slow subscriber only grows this buffer, which the
 * request's token limit bounds.
 */
final class TokenSubscription implements Flow.Subscription, TokenListener {

    private final InferenceEngine engine;
    private final GenerationRequest request;
    private final Flow.Subscriber<? super TokenChunk> subscriber;
    private final ConcurrentLinkedQueue<TokenChunk> buffer = new ConcurrentLinkedQueue<>();
    private final AtomicLong demand = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();
    private volatile RequestHandle handle;
    private volatile boolean cancelled;
    private volatile boolean done;
    private volatile Throwable error;
    private boolean terminated;

    TokenSubscription(InferenceEngine engine, GenerationRequest request, Flow.Subscriber<? super TokenChunk> subscriber) {
        if (subscriber == null) {
            throw new NullPointerException("subscriber must not be null");
        }
        this.engine = engine;
        this.request = request;
        this.subscriber = subscriber;
    }

    void start() {
        subscriber.onSubscribe(this);
        // A subscriber that cancelled, or broke the demand rule (and so got onError), inside onSubscribe
        // has no use for the request: do not submit it.
        if (cancelled || done) {
            return;
        }
        try {
            handle = engine.submit(request, this);
        } catch (RuntimeException e) {
            error = e;
            done = true;
            drain();
            return;
        }
        if (cancelled) {
            handle.cancel();
        }
    }

    @Override
    public void request(long n) {
        if (n <= 0) {
            error = new IllegalArgumentException("a subscriber must request a positive number of chunks, got " + n);
            done = true;
            cancelRequest();
        } else {
            demand.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
        }
        drain();
    }

    @Override
    public void cancel() {
        cancelled = true;
        cancelRequest();
        drain();
    }

    private void cancelRequest() {
        RequestHandle h = handle;
        if (h != null) {
            h.cancel();
        }
    }

    @Override
    public void onToken(TokenChunk chunk) {
        buffer.add(chunk);
        drain();
    }

    @Override
    public void onComplete(GenerationResult result) {
        done = true;
        drain();
    }

    @Override
    public void onError(Throwable failure) {
        if (error == null) {
            error = failure;
        }
        done = true;
        drain();
    }

    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        while (true) {
            if (!terminated) {
                emit();
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private void emit() {
        if (cancelled) {
            buffer.clear();
            terminated = true;
            return;
        }
        while (!cancelled && demand.get() > 0) {
            TokenChunk chunk = buffer.poll();
            if (chunk == null) {
                break;
            }
            subscriber.onNext(chunk);
            if (demand.get() != Long.MAX_VALUE) {
                demand.decrementAndGet();
            }
        }
        // An error ends the stream at once (buffered chunks beyond the demand are dropped); a normal
        // end waits until the subscriber has taken every chunk.
        if (!cancelled && done && (buffer.isEmpty() || error != null)) {
            terminated = true;
            buffer.clear();
            if (error != null) {
                subscriber.onError(error);
            } else {
                subscriber.onComplete();
            }
        }
    }
}
