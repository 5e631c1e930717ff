package dev.infera.core.gguf;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Where the bytes of one tensor go while a {@link GgufWriter} streams a file. The caller writes the
 * tensor's bytes in order, in as many pieces as it likes; the sink refuses a piece that would exceed
 * the tensor's size, and the writer checks the total when the tensor is done.
 */
public final class GgufTensorSink {

    private final GgufOutput out;
    private final String tensorName;
    private final long bytesExpected;
    private long bytesWritten;

    GgufTensorSink(GgufOutput out, String tensorName, long bytesExpected) {
        this.out = out;
        this.tensorName = tensorName;
        this.bytesExpected = bytesExpected;
    }

    /** Name of the tensor being written. */
    public String tensorName() {
        return tensorName;
    }

    /** Bytes the tensor takes in the file. */
    public long bytesExpected() {
        return bytesExpected;
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    public long bytesRemaining() {
        return bytesExpected - bytesWritten;
    }

    public void write(MemorySegment bytes) {
        admit(bytes.byteSize());
        out.bytes(bytes);
    }

    /** Writes the buffer's remaining bytes and advances its position to its limit. */
    public void write(ByteBuffer bytes) {
        admit(bytes.remaining());
        out.bytes(bytes);
    }

    public void write(byte[] bytes, int offset, int length) {
        if (offset < 0 || length < 0 || offset > bytes.length - length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + length + ") of a " + bytes.length
                    + "-byte array");
        }
        admit(length);
        out.bytes(bytes, offset, length);
    }

    public void write(byte[] bytes) {
        write(bytes, 0, bytes.length);
    }

    private void admit(long bytes) {
        if (bytes > bytesRemaining()) {
            throw new IllegalArgumentException("tensor '" + tensorName + "' takes " + bytesExpected
                    + " bytes, but " + (bytesWritten + bytes) + " were written");
        }
        bytesWritten += bytes;
    }
}
