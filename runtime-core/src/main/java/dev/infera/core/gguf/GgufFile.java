package dev.infera.core.gguf;

import dev.infera.api.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed GGUF file (versions 2 and 3). The whole file is memory-mapped; tensors are zero-copy
 * {@link MemorySegment} slices of that mapping, so files larger than 2 GB and larger than the heap
 * work. The mapping lives until {@link #close()}.
 *
 * <p>The file is untrusted input. Every count, length, offset and size read from it is checked against
 * the file size before it is used, so a truncated or corrupted file yields a {@link ModelFormatException}
 * naming the key or tensor and the byte offset, never an out-of-memory error from a forged length or an
 * out-of-bounds access. A tensor's bytes are checked to lie inside the file, not to make sense: damage in
 * weight data is harmless to the parser. A metadata key that appears twice with the same type and value
 * (some older converters wrote {@code general.file_type} twice) is read once; twice with different
 * values is an error.
 *
 * <p>Layout: magic "GGUF", version u32, tensor count u64, metadata count u64, the metadata (key string,
 * type u32, value), the tensor infos (name, rank u32, dims u64..., type u32, offset u64), padding to
 * {@code general.alignment} (default 32), then the data section that tensor offsets are relative to.
 */
public final class GgufFile implements AutoCloseable {

    public static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";
    static final int MAX_DIMS = 4;
    static final int MAX_ARRAY_NESTING = 8;

    private final Arena arena;
    private final MemorySegment file;
    private final String source;
    private final int version;
    private final GgufMetadata metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Arena arena, MemorySegment file, String source) {
        this.arena = arena;
        this.file = file;
        this.source = source;
        GgufCursor in = new GgufCursor(file, source);
        if (file.byteSize() < 4) {
            throw in.error("file is too short to be GGUF (" + file.byteSize() + " bytes)", 0);
        }
        int magic = in.u32("magic");
        if (magic != MAGIC) {
            throw in.error(String.format("not a GGUF file: magic is 0x%08x, expected \"GGUF\"", magic), 0);
        }
        this.version = in.u32("version");
        if (version == 1) {
            throw in.error("GGUF version 1 is not supported (only versions 2 and 3)", 4);
        }
        if (version != 2 && version != 3) {
            String hint = Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? " (the file looks big-endian, which is not supported)" : "";
            throw in.error("unsupported GGUF version " + Integer.toUnsignedString(version) + hint, 4);
        }
        long tensorCountAt = in.position();
        long tensorCount = in.u64("tensor count");
        long kvCount = in.u64("metadata count");
        // A metadata entry needs at least 8 (key length) + 4 (type) + 1 bytes; a tensor info at least 8 + 4 + 8 + 4 + 8.
        if (kvCount < 0 || kvCount > in.remaining() / 13) {
            throw in.error("metadata count " + Long.toUnsignedString(kvCount) + " is impossible for a file of "
                    + file.byteSize() + " bytes", tensorCountAt + 8);
        }
        if (tensorCount < 0 || tensorCount > in.remaining() / 32) {
            throw in.error("tensor count " + Long.toUnsignedString(tensorCount) + " is impossible for a file of "
                    + file.byteSize() + " bytes", tensorCountAt);
        }
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = in.position();
            String key = in.string("metadata key #" + i);
            GgufValue value = readValue(in, "metadata key '" + key + "'");
            GgufValue earlier = kv.putIfAbsent(key, value);
            if (earlier != null && !earlier.equals(value)) {
                throw in.error("metadata key '" + key + "' appears twice with different values", at);
            }
        }
        this.metadata = new GgufMetadata(kv);
        this.alignment = readAlignment(in);

        int capacity = (int) Math.min(tensorCount, 1 << 16);
        List<GgufTensorInfo> infos = new ArrayList<>(capacity);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        List<Long> infoOffsets = new ArrayList<>(capacity);
        for (long i = 0; i < tensorCount; i++) {
            long at = in.position();
            GgufTensorInfo t = readTensorInfo(in, i);
            if (byName.putIfAbsent(t.name(), t) != null) {
                throw in.error("duplicate tensor name '" + t.name() + "'", at);
            }
            infos.add(t);
            infoOffsets.add(at);
        }
        long headerEnd = in.position();
        this.dataOffset = alignUp(headerEnd, alignment);
        long dataBytes = file.byteSize() - dataOffset;
        for (int i = 0; i < infos.size(); i++) {
            GgufTensorInfo t = infos.get(i);
            // Checked for empty tensors too: their slice must still start inside the file.
            if (dataBytes < 0 || t.offset() > dataBytes - t.byteSize()) {
                throw in.error("tensor '" + t.name() + "' data [" + t.offset() + ", +" + t.byteSize()
                        + ") lies beyond the end of the file (data section starts at " + dataOffset + ", file is "
                        + file.byteSize() + " bytes)", infoOffsets.get(i));
            }
        }
        this.tensors = Collections.unmodifiableList(infos);
        this.tensorsByName = Collections.unmodifiableMap(byName);
    }

    /** Memory-maps and parses a GGUF file. */
    public static GgufFile open(Path path) {
        if (Files.isDirectory(path)) {
            throw new ModelFormatException(path + " is a directory, not a GGUF file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(arena, mapped, path.toString());
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ModelFormatException("model file not found: " + path);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot read GGUF file " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses GGUF bytes already in memory (the caller keeps the segment alive); {@code source} names it in errors. */
    public static GgufFile parse(MemorySegment bytes, String source) {
        return new GgufFile(null, bytes, source);
    }

    private static GgufValue readValue(GgufCursor in, String context) {
        long at = in.position();
        int typeId = in.u32(context + " type");
        GgufValueType type = GgufValueType.byId(Integer.toUnsignedLong(typeId));
        if (type == null) {
            throw in.error(context + " has unknown value type " + Integer.toUnsignedString(typeId), at);
        }
        return new GgufValue(type, readScalarOrArray(in, type, context, 0));
    }

    private static Object readScalarOrArray(GgufCursor in, GgufValueType type, String context, int depth) {
        return switch (type) {
            case UINT8, INT8 -> in.u8(context);
            case UINT16, INT16 -> in.u16(context);
            case UINT32, INT32 -> in.u32(context);
            case UINT64, INT64 -> in.u64(context);
            case FLOAT32 -> in.f32(context);
            case FLOAT64 -> in.f64(context);
            case BOOL -> readBool(in, context);
            case STRING -> in.string(context);
            case ARRAY -> readArray(in, context, depth);
        };
    }

    private static Boolean readBool(GgufCursor in, String context) {
        long at = in.position();
        byte b = in.u8(context);
        if (b != 0 && b != 1) {
            throw in.error(context + " is a bool with value " + (b & 0xff) + " (must be 0 or 1)", at);
        }
        return b == 1;
    }

    private static GgufArray readArray(GgufCursor in, String context, int depth) {
        long at = in.position();
        if (depth >= MAX_ARRAY_NESTING) {
            throw in.error(context + " nests arrays deeper than " + MAX_ARRAY_NESTING, at);
        }
        int typeId = in.u32(context + " element type");
        GgufValueType et = GgufValueType.byId(Integer.toUnsignedLong(typeId));
        if (et == null) {
            throw in.error(context + " is an array of unknown element type " + Integer.toUnsignedString(typeId), at);
        }
        long minEach = switch (et) {
            case STRING -> 8;
            case ARRAY -> 12;
            default -> et.fixedBytes();
        };
        int n = in.count(context, minEach, Integer.MAX_VALUE - 16);
        Object values = switch (et) {
            case UINT8, INT8, BOOL -> {
                long bAt = in.position();
                byte[] b = in.bytes(n, context);
                if (et == GgufValueType.BOOL) {
                    for (int i = 0; i < n; i++) {
                        if (b[i] != 0 && b[i] != 1) {
                            throw in.error(context + "[" + i + "] is a bool with value " + (b[i] & 0xff), bAt + i);
                        }
                    }
                }
                yield b;
            }
            case UINT16, INT16 -> {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.u16(context);
                }
                yield a;
            }
            case UINT32, INT32 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.u32(context);
                }
                yield a;
            }
            case UINT64, INT64 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.u64(context);
                }
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.f32(context);
                }
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.f64(context);
                }
                yield a;
            }
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.string(context, i);
                }
                yield a;
            }
            case ARRAY -> {
                GgufArray[] a = new GgufArray[n];
                for (int i = 0; i < n; i++) {
                    a[i] = readArray(in, context + "[" + i + "]", depth + 1);
                }
                yield a;
            }
        };
        return new GgufArray(et, values);
    }

    private int readAlignment(GgufCursor in) {
        Optional<GgufValue> v = metadata.find(ALIGNMENT_KEY);
        if (v.isEmpty()) {
            return DEFAULT_ALIGNMENT;
        }
        GgufValue a = v.get();
        if (!a.type().isInteger()) {
            throw in.error("metadata key '" + ALIGNMENT_KEY + "' has type " + a.type() + ", expected an integer", in.position());
        }
        long al = a.asLong();
        if (al <= 0 || al > (1 << 30) || Long.bitCount(al) != 1) {
            throw in.error("metadata key '" + ALIGNMENT_KEY + "' = " + al + " is not a power of two", in.position());
        }
        return (int) al;
    }

    private GgufTensorInfo readTensorInfo(GgufCursor in, long index) {
        String name = in.string("tensor #" + index + " name");
        String ctx = "tensor '" + name + "'";
        long at = in.position();
        int nDims = in.u32(ctx + " rank");
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw in.error(ctx + " has rank " + Integer.toUnsignedString(nDims) + " (must be 1 to " + MAX_DIMS + ")", at);
        }
        long[] shape = new long[nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long dAt = in.position();
            shape[d] = in.u64(ctx + " dimension " + d);
            if (shape[d] < 0 || (shape[d] > 0 && elements > Long.MAX_VALUE / shape[d])) {
                throw in.error(ctx + " dimension " + d + " = " + Long.toUnsignedString(shape[d])
                        + " makes the element count overflow", dAt);
            }
            elements *= shape[d];
        }
        long typeAt = in.position();
        int typeId = in.u32(ctx + " type");
        GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
        if (type == null) {
            throw in.error(ctx + " has unknown tensor type id " + GgmlType.describeUnknownId(typeId), typeAt);
        }
        if (shape[0] % type.blockSize() != 0) {
            throw in.error(ctx + " of type " + type + " has row length " + shape[0]
                    + ", not a multiple of the block size " + type.blockSize(), typeAt);
        }
        long byteSize = type.byteSize(elements);
        if (byteSize < 0) {
            throw in.error(ctx + " is too large (" + elements + " elements of " + type + ")", at);
        }
        long offAt = in.position();
        long offset = in.u64(ctx + " offset");
        if (offset < 0 || offset % alignment != 0) {
            throw in.error(ctx + " data offset " + Long.toUnsignedString(offset) + " is not a multiple of the alignment "
                    + alignment, offAt);
        }
        return new GgufTensorInfo(name, type, shape, offset, byteSize);
    }

    static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    public Optional<GgufTensorInfo> findTensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /** The tensor with this name; a {@link ModelFormatException} naming it when absent. */
    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = tensorsByName.get(name);
        if (t == null) {
            throw new ModelFormatException(source + ": tensor '" + name + "' is missing");
        }
        return t;
    }

    /** Zero-copy view of a tensor's bytes. */
    public MemorySegment tensorData(GgufTensorInfo t) {
        return file.asSlice(dataOffset + t.offset(), t.byteSize());
    }

    public MemorySegment tensorData(String name) {
        return tensorData(tensor(name));
    }

    /** Alignment of the data section and of tensor offsets. */
    public int alignment() {
        return alignment;
    }

    /** Absolute file offset where the data section starts. */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return file.byteSize();
    }

    /** Where the file came from, as used in error messages. */
    public String source() {
        return source;
    }

    /** Unmaps the file; tensor segments must not be used afterwards. */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
