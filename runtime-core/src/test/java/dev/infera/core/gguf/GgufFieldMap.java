package dev.infera.core.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helper: walks a valid GGUF file on its own (independently of {@link GgufFile}) and records where
 * each structural field lies (counts, lengths, type ids, ranks, dimensions, offsets), so a mutation test
 * can forge exactly the numbers a parser must distrust.
 */
final class GgufFieldMap {

    enum Kind { COUNT, LENGTH, VALUE_TYPE, RANK, DIM, TENSOR_TYPE, OFFSET, VERSION, SCALAR }

    record Field(Kind kind, int offset, int width) {
    }

    final List<Field> fields = new ArrayList<>();
    final int headerEnd;
    private final ByteBuffer buf;

    GgufFieldMap(byte[] file) {
        buf = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(4);
        field(Kind.VERSION, 4);
        buf.getInt();
        field(Kind.COUNT, 8);
        long tensors = buf.getLong();
        field(Kind.COUNT, 8);
        long kvs = buf.getLong();
        for (long i = 0; i < kvs; i++) {
            string();
            field(Kind.VALUE_TYPE, 4);
            value(buf.getInt());
        }
        for (long i = 0; i < tensors; i++) {
            string();
            field(Kind.RANK, 4);
            int rank = buf.getInt();
            for (int d = 0; d < rank; d++) {
                field(Kind.DIM, 8);
                buf.getLong();
            }
            field(Kind.TENSOR_TYPE, 4);
            buf.getInt();
            field(Kind.OFFSET, 8);
            buf.getLong();
        }
        headerEnd = buf.position();
    }

    private void field(Kind kind, int width) {
        fields.add(new Field(kind, buf.position(), width));
    }

    private void string() {
        field(Kind.LENGTH, 8);
        long n = buf.getLong();
        buf.position(buf.position() + (int) n);
    }

    private void value(int type) {
        switch (type) {
            case 0, 1, 7 -> skipScalar(1);
            case 2, 3 -> skipScalar(2);
            case 4, 5, 6 -> skipScalar(4);
            case 10, 11, 12 -> skipScalar(8);
            case 8 -> string();
            case 9 -> {
                field(Kind.VALUE_TYPE, 4);
                int et = buf.getInt();
                field(Kind.COUNT, 8);
                long n = buf.getLong();
                for (long i = 0; i < n; i++) {
                    // Recording every element of a 32000-entry array adds nothing; keep the first few.
                    if (i < 4 || i % 997 == 0 || et == 9) {
                        value(et);
                    } else {
                        int before = fields.size();
                        value(et);
                        while (fields.size() > before) {
                            fields.removeLast();
                        }
                    }
                }
            }
            default -> throw new IllegalStateException("bad type " + type + " at " + buf.position());
        }
    }

    private void skipScalar(int width) {
        field(Kind.SCALAR, width);
        buf.position(buf.position() + width);
    }
}
