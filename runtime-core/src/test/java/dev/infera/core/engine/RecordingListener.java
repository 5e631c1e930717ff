package dev.infera.core.engine;

import dev.infera.api.GenerationResult;
import dev.infera.api.TokenChunk;
import dev.infera.api.TokenListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** Records what a listener receives and checks the calling contract as it goes. */
class RecordingListener implements TokenListener {

    final List<TokenChunk> chunks = new ArrayList<>();
    final AtomicInteger completions = new AtomicInteger();
    final AtomicInteger errors = new AtomicInteger();
    final AtomicInteger inCall = new AtomicInteger();
    final List<String> violations = new ArrayList<>();
    final CountDownLatch ended = new CountDownLatch(1);
    volatile GenerationResult result;
    volatile Throwable error;

    private void enter() {
        if (inCall.incrementAndGet() != 1) {
            violation("overlapping listener calls");
        }
        if (Thread.currentThread().getName().equals("infera-engine")) {
            violation("listener called on the engine thread");
        }
        if (completions.get() + errors.get() > 0) {
            violation("call after the request ended");
        }
    }

    private synchronized void violation(String what) {
        violations.add(what);
    }

    @Override
    public void onToken(TokenChunk chunk) {
        enter();
        try {
            synchronized (this) {
                if (chunk.index() != chunks.size()) {
                    violations.add("chunk " + chunk.index() + " arrived as number " + chunks.size());
                }
                chunks.add(chunk);
            }
            tokenHook(chunk);
        } finally {
            inCall.decrementAndGet();
        }
    }

    /** Override to act on a token (e.g. throw). */
    void tokenHook(TokenChunk chunk) {
    }

    @Override
    public void onComplete(GenerationResult r) {
        enter();
        result = r;
        completions.incrementAndGet();
        inCall.decrementAndGet();
        ended.countDown();
    }

    @Override
    public void onError(Throwable t) {
        enter();
        error = t;
        errors.incrementAndGet();
        inCall.decrementAndGet();
        ended.countDown();
    }

    synchronized String streamedText() {
        StringBuilder sb = new StringBuilder();
        chunks.forEach(c -> sb.append(c.text()));
        return sb.toString();
    }

    synchronized int numChunks() {
        return chunks.size();
    }
}
