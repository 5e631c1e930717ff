package dev.infera.core.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * A little-endian, buffered writer onto a channel that counts the bytes it has written. All bytes go
 * through one direct buffer of fixed size, so writing a tensor of any size costs no more memory than the
 * buffer, and the channel sees few large writes. I/O errors surface as {@link UncheckedIOException}s that
 * name the destination.
 */
final class GgufOutput implements AutoCloseable {

    static final int BUFFER_BYTES = 4 << 20;
    private static final byte[] ZEROS = new byte[4096];

    private final WritableByteChannel channel;
    private final String destination;
    private final ByteBuffer buffer;
    private final MemorySegment bufferSegment;
    private long position;

    GgufOutput(WritableByteChannel channel, String destination) {
        this.channel = channel;
        this.destination = destination;
        this.buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        this.bufferSegment = MemorySegment.ofBuffer(buffer);
    }

    /** Bytes written so far (including those still in the buffer). */
    long position() {
        return position;
    }

    private void ensure(int bytes) {
        if (buffer.remaining() < bytes) {
            flush();
        }
    }

    void u8(byte v) {
        ensure(1);
        buffer.put(v);
        position += 1;
    }

    void u16(short v) {
        ensure(2);
        buffer.putShort(v);
        position += 2;
    }

    void u32(int v) {
        ensure(4);
        buffer.putInt(v);
        position += 4;
    }

    void u64(long v) {
        ensure(8);
        buffer.putLong(v);
        position += 8;
    }

    void f32(float v) {
        ensure(4);
        buffer.putFloat(v);
        position += 4;
    }

    void f64(double v) {
        ensure(8);
        buffer.putDouble(v);
        position += 8;
    }

    /** A GGUF string: u64 byte length, then the UTF-8 bytes. */
    void string(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        u64(utf8.length);
        bytes(utf8, 0, utf8.length);
    }

    void bytes(byte[] src, int offset, int length) {
        bytes(MemorySegment.ofArray(src).asSlice(offset, length));
    }

    void bytes(MemorySegment src) {
        long done = 0;
        long total = src.byteSize();
        while (done < total) {
            if (!buffer.hasRemaining()) {
                flush();
            }
            int n = (int) Math.min(buffer.remaining(), total - done);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, done, bufferSegment, ValueLayout.JAVA_BYTE,
                    buffer.position(), n);
            buffer.position(buffer.position() + n);
            done += n;
        }
        position += total;
    }

    void bytes(ByteBuffer src) {
        bytes(MemorySegment.ofBuffer(src));
        src.position(src.limit());
    }

    /** Writes zero bytes until the position is a multiple of {@code alignment}. */
    void padTo(long alignment) {
        long pad = GgufFile.alignUp(position, alignment) - position;
        while (pad > 0) {
            int n = (int) Math.min(pad, ZEROS.length);
            bytes(ZEROS, 0, n);
            pad -= n;
        }
    }

    void flush() {
        buffer.flip();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + destination + ": " + e.getMessage(), e);
        } finally {
            buffer.clear();
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + destination + ": " + e.getMessage(), e);
        }
    }
}
