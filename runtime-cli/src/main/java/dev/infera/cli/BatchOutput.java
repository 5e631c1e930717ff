package dev.infera.cli;

import dev.infera.core.json.Json;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The output file of {@code infera batch}: one JSON object per line, appended and flushed as each
 * request ends, so a killed run loses nothing already written.
 *
 * <p>Opening an existing file resumes it: every complete line's id is collected (those requests are
 * skipped), and a torn last line (no final newline, or a last line that does not parse, as a kill in
 * the middle of a write can leave) is cut off, so its request runs again. Other lines are never
 * changed. Writers on several threads are serialized here.
 */
final class BatchOutput implements AutoCloseable {

    private final Writer writer;
    private final Set<String> doneIds;
    private final int discardedBytes;

    private BatchOutput(Writer writer, Set<String> doneIds, int discardedBytes) {
        this.writer = writer;
        this.doneIds = doneIds;
        this.discardedBytes = discardedBytes;
    }

    static BatchOutput open(Path file) throws IOException {
        Set<String> done = new HashSet<>();
        int discarded = 0;
        if (Files.exists(file)) {
            byte[] bytes = Files.readAllBytes(file);
            int keep = 0;
            int lastLineStart = 0;
            String lastId = null;
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    String line = new String(bytes, start, i - start, StandardCharsets.UTF_8);
                    lastId = line.isBlank() ? "" : idOf(line);
                    if (lastId != null && !lastId.isEmpty()) {
                        done.add(lastId);
                    }
                    lastLineStart = start;
                    keep = i + 1;
                    start = i + 1;
                }
            }
            if (lastId == null) {
                // The last complete line does not parse: a write cut short before its newline went out.
                keep = lastLineStart;
            }
            discarded = bytes.length - keep;
            if (discarded > 0) {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.truncate(keep);
                }
            }
        }
        Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        return new BatchOutput(w, done, discarded);
    }

    /**
     * The key of an output line: its id's compact JSON, or {@code line:N} for an error record that
     * names only an input line; null when the line is not such a JSON object.
     */
    private static String idOf(String line) {
        try {
            Object parsed = Json.parse(line);
            if (parsed instanceof Map<?, ?> m && m.containsKey("id")) {
                return Json.write(m.get("id"));
            }
            if (parsed instanceof Map<?, ?> m && m.get("line") instanceof Long n) {
                return lineKey(n.intValue());
            }
            return null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The key under which an error record without an id marks input line {@code lineNumber} done. */
    static String lineKey(int lineNumber) {
        return "line:" + lineNumber;
    }

    /** Ids (as {@link BatchLine#idKey()}) and {@link #lineKey}s already written by an earlier run. */
    Set<String> doneIds() {
        return doneIds;
    }

    /** Bytes of a torn last line that were cut off when the file was opened. */
    int discardedBytes() {
        return discardedBytes;
    }

    /** Appends one record as a line and flushes it to the file. */
    synchronized void write(Map<String, Object> record) throws IOException {
        writer.write(Json.write(record));
        writer.write('\n');
        writer.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        writer.close();
    }
}
