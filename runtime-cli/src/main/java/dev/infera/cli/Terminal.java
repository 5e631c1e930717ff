package dev.infera.cli;

import dev.infera.api.EngineStats;
import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Small facts about where the CLI writes: whether stderr is a terminal (for progress bars), and the
 * one-line KV cache summary commands print at start.
 *
 * <p>Java has no direct test for stderr being a terminal ({@link System#console()} reflects stdin
 * and stdout). On Linux the answer is read from {@code /proc/self/fd/2}: a terminal there links to
 * {@code /dev/pts/N} or {@code /dev/ttyN}. Where {@code /proc} is missing (macOS, Windows) the
 * answer falls back to {@code System.console() != null}, which is wrong when only stdout or stdin is
 * redirected; commands therefore also take an explicit {@code --progress} / {@code --no-progress}.
 */
final class Terminal {

    private static final Path STDERR_LINK = Path.of("/proc/self/fd/2");

    private Terminal() {
    }

    /** Whether {@code err} is the process's stderr and that stream goes to a terminal. */
    static boolean isStderrTerminal(PrintStream err) {
        if (err != System.err) {
            return false;
        }
        if (Files.isSymbolicLink(STDERR_LINK)) {
            try {
                return isTerminalDevice(Files.readSymbolicLink(STDERR_LINK).toString());
            } catch (IOException | SecurityException e) {
                // fall through to the console check
            }
        }
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    static boolean isTerminalDevice(String target) {
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
    }

    /** One line describing the engine's KV cache: blocks, tokens and bytes. */
    static String kvCacheLine(EngineStats stats, int blockSize) {
        return String.format(Locale.ROOT, "KV cache: %d blocks x %d tokens = %d tokens, %.1f MiB",
                stats.kvBlocksTotal(), blockSize, (long) stats.kvBlocksTotal() * blockSize,
                stats.kvCacheBytes() / (1024.0 * 1024.0));
    }
}
