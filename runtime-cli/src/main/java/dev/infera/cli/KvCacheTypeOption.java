package dev.infera.cli;

import dev.infera.api.KvCacheType;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The {@code --kv-cache-type} option the engine-running commands share. */
final class KvCacheTypeOption {

    static final String NAME = "--kv-cache-type";

    private KvCacheTypeOption() {
    }

    static Command.Option option() {
        return Command.Option.value(NAME, "TYPE", "KV cache element type: auto (default: f32 for all-F32 models, else "
                + "f16 on the CPU and bf16 on CUDA), f32, f16 (CPU), bf16 (CUDA)");
    }

    /** The type named by the option, or AUTO when it is absent; an unknown name is a user error. */
    static KvCacheType parse(Options o) {
        String value = o.string(NAME, "auto");
        try {
            return KvCacheType.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CliException(NAME + " must be one of " + Arrays.stream(KvCacheType.values())
                    .map(t -> t.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")) + ", got '"
                    + value + "'");
        }
    }
}
