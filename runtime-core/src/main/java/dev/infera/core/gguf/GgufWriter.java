package dev.infera.core.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a GGUF file (version 3 by default, 2 on request) in one forward pass, streaming tensor data
 * so a file of many gigabytes is written with memory of a few megabytes.
 *
 * <p>Use: {@link #put put} the metadata and {@link #addTensor add} every tensor's name, type and shape;
 * then {@link #writeTensor write} each tensor's bytes in the order the tensors were added; then
 * {@link #close()}. The first {@code writeTensor} (or {@code close}) writes the header, so metadata and
 * tensor declarations must come before it.
 *
 * <p>Layout, as other GGUF writers make it: the header (magic, version, counts, metadata in insertion
 * order with exactly the given value types, tensor infos), zero padding to the alignment, then each
 * tensor's data followed by zero padding to the alignment. A file without tensors (a vocabulary-only
 * file) ends right after its header. The alignment is {@code general.alignment}
 * when the metadata has it (a UINT32 power of two), else 32. Tensor offsets are assigned sequentially
 * from 0 within the data section, each rounded up to the alignment. A file read with {@link GgufFile}
 * and written back with the same metadata, tensors and data is therefore byte-identical.
 *
 * <p>Misuse (duplicate key or tensor, bad shape, wrong byte count, tensors out of order, declarations
 * after the header) throws {@link IllegalArgumentException} or {@link IllegalStateException} naming
 * what was wrong. After a failed tensor write the writer refuses further work; {@code close} then only
 * releases the file.
 */
public final class GgufWriter implements AutoCloseable {

    /** Longest tensor name llama.cpp accepts, in UTF-8 bytes. */
    public static final int MAX_TENSOR_NAME_BYTES = 63;

    /** Produces one tensor's bytes into a sink. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(GgufTensorSink sink) throws IOException;
    }

    private record Declared(String name, GgmlType type, long[] shape, long byteSize) {
    }

    private final GgufOutput out;
    private final String destination;
    private final int version;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Declared> declared = new ArrayList<>();
    private final Map<String, Integer> declaredIndex = new HashMap<>();
    private List<GgufTensorInfo> infos;
    private int alignment;
    private int nextTensor;
    private boolean failed;
    private boolean closed;

    private GgufWriter(WritableByteChannel channel, String destination, int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("GGUF version must be 2 or 3, got " + version);
        }
        this.out = new GgufOutput(channel, destination);
        this.destination = destination;
        this.version = version;
    }

    /** Creates (or replaces) a version 3 file. */
    public static GgufWriter create(Path path) {
        return create(path, 3);
    }

    public static GgufWriter create(Path path, int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("GGUF version must be 2 or 3, got " + version);
        }
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            return new GgufWriter(ch, path.toString(), version);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes to a channel, which {@link #close()} closes; {@code destination} names it in errors. */
    public static GgufWriter to(WritableByteChannel channel, String destination, int version) {
        return new GgufWriter(Objects.requireNonNull(channel, "channel"), destination, version);
    }

    /** Adds a metadata entry; entries are written in the order they are added. */
    public GgufWriter put(String key, GgufValue value) {
        requireDeclaring("metadata key '" + key + "'");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value of metadata key '" + key + "'");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("metadata key must not be empty");
        }
        if (key.equals(GgufFile.ALIGNMENT_KEY)) {
            alignmentFrom(value);
        }
        GgufValueWriter.validate(key, value);
        if (metadata.putIfAbsent(key, value) != null) {
            throw new IllegalArgumentException("duplicate metadata key '" + key + "'");
        }
        return this;
    }

    /** Adds every entry of {@code source}, in its order. */
    public GgufWriter putAll(GgufMetadata source) {
        source.asMap().forEach(this::put);
        return this;
    }

    /** Declares a tensor; shape is GGML order (fastest-varying dimension first), rank 1 to 4. */
    public GgufWriter addTensor(String name, GgmlType type, long... shape) {
        requireDeclaring("tensor '" + name + "'");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type of tensor '" + name + "'");
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes == 0 || nameBytes > MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' has " + nameBytes
                    + " UTF-8 bytes (must be 1 to " + MAX_TENSOR_NAME_BYTES + ")");
        }
        if (declaredIndex.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        if (shape.length < 1 || shape.length > GgufFile.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has rank " + shape.length
                    + " (must be 1 to " + GgufFile.MAX_DIMS + ")");
        }
        long elements = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0 || (shape[d] > 0 && elements > Long.MAX_VALUE / shape[d])) {
                throw new IllegalArgumentException("tensor '" + name + "' dimension " + d + " = " + shape[d]
                        + " is negative or makes the element count overflow");
            }
            elements *= shape[d];
        }
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + type + " has row length "
                    + shape[0] + ", not a multiple of the block size " + type.blockSize());
        }
        long byteSize = type.byteSize(elements);
        if (byteSize < 0) {
            throw new IllegalArgumentException("tensor '" + name + "' is too large (" + elements + " elements of "
                    + type + ")");
        }
        declaredIndex.put(name, declared.size());
        declared.add(new Declared(name, type, shape.clone(), byteSize));
        return this;
    }

    /** Writes the next tensor's bytes from memory. */
    public void writeTensor(String name, MemorySegment data) {
        writeTensor(name, sink -> sink.write(data));
    }

    /**
     * Streams the next tensor's bytes: {@code data} must write exactly the declared size into the sink.
     * Tensors must be written in the order they were added.
     */
    public void writeTensor(String name, TensorData data) {
        ensureHeader();
        if (nextTensor >= declared.size()) {
            throw new IllegalStateException("tensor '" + name + "' written, but all " + declared.size()
                    + " declared tensors are already written");
        }
        Declared t = declared.get(nextTensor);
        if (!t.name.equals(name)) {
            String why = declaredIndex.containsKey(name) ? "written out of order" : "was never declared";
            throw new IllegalStateException("tensor '" + name + "' " + why + ": the next tensor to write is '"
                    + t.name + "'");
        }
        GgufTensorSink sink = new GgufTensorSink(out, name, t.byteSize);
        failed = true;
        try {
            data.writeTo(sink);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot produce data of tensor '" + name + "': " + e.getMessage(), e);
        }
        if (sink.bytesWritten() != t.byteSize) {
            throw new IllegalArgumentException("tensor '" + name + "' takes " + t.byteSize + " bytes, but only "
                    + sink.bytesWritten() + " were written");
        }
        out.padTo(alignment);
        failed = false;
        nextTensor++;
    }

    /** Tensor infos with their data offsets; available once the header is written. */
    public List<GgufTensorInfo> tensorInfos() {
        if (infos == null) {
            throw new IllegalStateException("tensor offsets are known only after the header is written");
        }
        return infos;
    }

    /** Writes the header now (done implicitly by the first tensor write or close). */
    public void writeHeader() {
        ensureHeader();
    }

    private void ensureHeader() {
        if (closed) {
            throw new IllegalStateException("GGUF writer for " + destination + " is closed");
        }
        if (failed) {
            throw new IllegalStateException("GGUF writer for " + destination + " failed earlier; the file is incomplete");
        }
        if (infos != null) {
            return;
        }
        alignment = metadata.containsKey(GgufFile.ALIGNMENT_KEY)
                ? alignmentFrom(metadata.get(GgufFile.ALIGNMENT_KEY)) : GgufFile.DEFAULT_ALIGNMENT;
        List<GgufTensorInfo> list = new ArrayList<>(declared.size());
        long offset = 0;
        for (Declared d : declared) {
            list.add(new GgufTensorInfo(d.name, d.type, d.shape, offset, d.byteSize));
            offset = GgufFile.alignUp(offset + d.byteSize, alignment);
        }
        failed = true;
        out.u32(GgufFile.MAGIC);
        out.u32(version);
        out.u64(declared.size());
        out.u64(metadata.size());
        metadata.forEach((key, value) -> {
            out.string(key);
            out.u32(value.type().id());
            GgufValueWriter.write(out, value);
        });
        for (GgufTensorInfo t : list) {
            out.string(t.name());
            out.u32(t.numDims());
            for (int d = 0; d < t.numDims(); d++) {
                out.u64(t.dim(d));
            }
            out.u32(t.type().id());
            out.u64(t.offset());
        }
        if (!list.isEmpty()) {
            out.padTo(alignment);
        }
        failed = false;
        infos = Collections.unmodifiableList(list);
    }

    private void requireDeclaring(String what) {
        if (infos != null || closed) {
            throw new IllegalStateException("cannot add " + what + ": the header of " + destination
                    + " is already written");
        }
    }

    private static int alignmentFrom(GgufValue v) {
        if (v.type() != GgufValueType.UINT32) {
            throw new IllegalArgumentException("metadata key '" + GgufFile.ALIGNMENT_KEY + "' must be UINT32, got "
                    + v.type());
        }
        long a = v.asLong();
        if (a <= 0 || a > (1 << 30) || Long.bitCount(a) != 1) {
            throw new IllegalArgumentException("metadata key '" + GgufFile.ALIGNMENT_KEY + "' = " + a
                    + " is not a power of two");
        }
        return (int) a;
    }

    /**
     * Finishes the file: writes the header if no tensor was written, flushes and closes. Throws
     * {@link IllegalStateException} when declared tensors were not written (the file is then incomplete).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            if (!failed) {
                ensureHeader();
                out.flush();
            }
        } finally {
            closed = true;
            out.close();
        }
        if (!failed && nextTensor < declared.size()) {
            throw new IllegalStateException(destination + " is incomplete: " + (declared.size() - nextTensor)
                    + " of " + declared.size() + " declared tensors were not written (next: '"
                    + declared.get(nextTensor).name + "')");
        }
    }
}
