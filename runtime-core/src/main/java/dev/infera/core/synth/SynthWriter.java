package dev.infera.core.synth;

import dev.infera.core.gguf.GgufValue;
import dev.infera.core.gguf.GgufWriter;
import dev.infera.core.quant.Quantize;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Streams a {@link SynthModel} into a GGUF file with memory far below the file's size and all the
 * cores it is given.
 *
 * <p>Every tensor is cut into chunks of {@link #CHUNK_ELEMENTS} elements. A chunk's values come from
 * its own {@link GaussianSampler}, seeded from the model seed, the tensor's name and the chunk's index,
 * so the file's bytes depend on the seed only, never on the thread count or on scheduling. Worker
 * threads generate and encode chunks ahead of the writer (at most a few per thread in flight); the
 * calling thread takes them in file order and hands them to the {@link GgufWriter}, which copies them
 * through one buffer into large channel writes. Memory use is therefore a few megabytes per thread
 * plus the metadata, whatever the model size.
 *
 * <p>The file appears atomically: data goes to a temporary sibling that is renamed into place only
 * when complete, and is deleted on failure.
 */
public final class SynthWriter {

    /** Elements per chunk: a multiple of every block size, 1 MiB of floats. */
    public static final int CHUNK_ELEMENTS = 1 << 18;
    private static final int CHUNKS_IN_FLIGHT_PER_THREAD = 3;
    /** The largest encoding of a chunk: F32, 4 bytes per element. */
    private static final int MAX_CHUNK_BYTES = CHUNK_ELEMENTS * 4;

    private final SynthModel model;
    private final long seed;
    private final int threads;

    private record Chunk(SynthModel.Tensor tensor, long tensorSeed, int index) {
    }

    public SynthWriter(SynthModel model, long seed, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        this.model = model;
        this.seed = seed;
        this.threads = threads;
    }

    /** Writes the model with this tokenizer metadata to {@code out}, replacing any file there. */
    public void write(Path out, Map<String, GgufValue> tokenizerMetadata) {
        Map<String, GgufValue> metadata = model.metadata(tokenizerMetadata);
        Path absolute = out.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            throw new IllegalArgumentException("output " + out + " is a directory");
        }
        Path tmp = absolute.resolveSibling(absolute.getFileName() + ".part");
        AtomicInteger threadIds = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "infera-synth-" + threadIds.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        boolean done = false;
        try {
            try (GgufWriter w = GgufWriter.create(tmp)) {
                metadata.forEach(w::put);
                for (SynthModel.Tensor t : model.tensors()) {
                    w.addTensor(t.name(), t.type(), t.shape());
                }
                writeData(w, pool);
            }
            Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        } finally {
            pool.shutdownNow();
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The original failure matters more than a leftover temporary file.
                }
            }
        }
    }

    private void writeData(GgufWriter w, ExecutorService pool) {
        ArrayDeque<Future<Encoded>> inFlight = new ArrayDeque<>();
        // Encoded chunks go back here once written, so the steady state allocates nothing.
        Queue<byte[]> buffers = new ConcurrentLinkedQueue<>();
        ChunkFeed feed = new ChunkFeed();
        int window = threads * CHUNKS_IN_FLIGHT_PER_THREAD;
        for (SynthModel.Tensor t : model.tensors()) {
            long chunks = (t.numElements() + CHUNK_ELEMENTS - 1) / CHUNK_ELEMENTS;
            w.writeTensor(t.name(), sink -> {
                for (long c = 0; c < chunks; c++) {
                    while (inFlight.size() < window && feed.hasNext()) {
                        Chunk next = feed.next();
                        inFlight.add(pool.submit(() -> encode(next, buffers)));
                    }
                    Encoded e = await(inFlight.removeFirst());
                    sink.write(MemorySegment.ofArray(e.bytes).asSlice(0, e.length));
                    buffers.add(e.bytes);
                }
            });
        }
    }

    private record Encoded(byte[] bytes, int length) {
    }

    /** All chunks of all tensors in file order. */
    private final class ChunkFeed {
        private int tensor;
        private int chunk;

        boolean hasNext() {
            return tensor < model.tensors().size();
        }

        Chunk next() {
            SynthModel.Tensor t = model.tensors().get(tensor);
            Chunk c = new Chunk(t, GaussianSampler.streamSeed(seed, nameHash(t.name()), 0), chunk);
            if ((long) ++chunk * CHUNK_ELEMENTS >= t.numElements()) {
                tensor++;
                chunk = 0;
            }
            return c;
        }
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[CHUNK_ELEMENTS]);

    /** Generates and encodes one chunk into a pooled buffer; runs on a worker thread. */
    private static Encoded encode(Chunk c, Queue<byte[]> buffers) {
        SynthModel.Tensor t = c.tensor;
        long start = (long) c.index * CHUNK_ELEMENTS;
        int n = (int) Math.min(CHUNK_ELEMENTS, t.numElements() - start);
        float[] values = SCRATCH.get();
        if (t.std() == 0f) {
            Arrays.fill(values, 0, n, t.mean());
        } else {
            new GaussianSampler(GaussianSampler.streamSeed(c.tensorSeed, c.index, 0)).fill(values, 0, n, t.mean(),
                    t.std());
        }
        byte[] out = buffers.poll();
        if (out == null) {
            out = new byte[MAX_CHUNK_BYTES];
        }
        int length = (int) t.type().byteSize(n);
        Quantize.row(t.type(), values, 0, n, MemorySegment.ofArray(out), 0);
        return new Encoded(out, length);
    }

    private static <T> T await(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing a synthetic model", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("generating tensor data failed: " + e.getCause(), e.getCause());
        }
    }

    /** FNV-1a over the name's UTF-8 bytes: a stable per-tensor stream coordinate. */
    static long nameHash(String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return h;
    }
}
