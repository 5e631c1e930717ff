package dev.infera.core.tokenizer;

import dev.infera.api.ModelFormatException;
import dev.infera.core.json.Json;
import dev.infera.core.json.JsonException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Shared pieces of the Hugging Face loaders: reading JSON files with errors that name the file,
 * added-token records, {@code tokenizer_config.json} lookups, and assembling the id-ordered token
 * table from a token-to-id map plus added tokens (gaps in the ids become unused {@code [PAD<id>]}
 * entries, as model converters do).
 */
final class HfFiles {

    /** An added token as tokenizer files describe it. */
    record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip) {
    }

    /** The assembled token table and a vocabulary builder over it. */
    record Table(String[] texts, TokenType[] types, Vocabulary.Builder builder) {
        int find(String text) {
            return HfFiles.find(texts, text);
        }
    }

    /** Largest tokenizer text file read whole (the biggest real ones are tens of megabytes). */
    static final long MAX_TEXT_FILE_BYTES = 1L << 30;

    private HfFiles() {
    }

    static Map<String, Object> readObject(Path file) throws IOException {
        try {
            return Json.asObject(readJson(file), file.getFileName().toString());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a UTF-8 JSON file (a leading byte-order mark is skipped); malformed JSON names the file. */
    static Object readJson(Path file) throws IOException {
        String text = readUtf8(file);
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
            text = text.substring(1);
        }
        try {
            return Json.parse(text);
        } catch (JsonException e) {
            throw new ModelFormatException("malformed JSON in " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The text of a file that must be UTF-8. Bytes that are not UTF-8 are a malformed tokenizer file,
     * reported with the byte offset of the first bad sequence.
     */
    static String readUtf8(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_TEXT_FILE_BYTES) {
            throw new ModelFormatException(file + " is " + size + " bytes; tokenizer text files over "
                    + MAX_TEXT_FILE_BYTES + " bytes are not supported");
        }
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        // UTF-8 never decodes to more UTF-16 code units than it has bytes.
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new ModelFormatException(file + " is not valid UTF-8: bad byte sequence at byte offset " + in.position());
        }
        return out.flip().toString();
    }

    /** {@code tokenizer_config.json} beside a file or in a folder, or an empty map when there is none. */
    static Map<String, Object> tokenizerConfig(Path dir) throws IOException {
        Path p = dir.resolve("tokenizer_config.json");
        return Files.isRegularFile(p) ? readObject(p) : Map.of();
    }

    /** A token given as a string or as {@code {"content": ...}}; null when absent or null. */
    static String tokenContent(Map<String, Object> config, String key) {
        Object v = config.get(key);
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Map<?, ?> m && m.get("content") instanceof String s) {
            return s;
        }
        return null;
    }

    static Boolean flag(Map<String, Object> config, String key) {
        return config.get(key) instanceof Boolean b ? b : null;
    }

    static int intValue(Object v, String what) {
        if (v instanceof Long l && l >= 0 && l <= Integer.MAX_VALUE) {
            return (int) (long) l;
        }
        throw new ModelFormatException(what + " must be a non-negative integer id, got " + v);
    }

    static String string(Object v, String what) {
        if (v instanceof String s) {
            return s;
        }
        throw new ModelFormatException(what + " must be a string, got " + Json.typeName(v));
    }

    /** Added tokens of {@code tokenizer_config.json}'s {@code added_tokens_decoder} (id -> token). */
    static List<AddedToken> addedTokensDecoder(Map<String, Object> config) {
        List<AddedToken> out = new ArrayList<>();
        if (config.get("added_tokens_decoder") instanceof Map<?, ?> decoder) {
            for (Map.Entry<?, ?> e : decoder.entrySet()) {
                int id;
                try {
                    id = Integer.parseInt(String.valueOf(e.getKey()));
                } catch (NumberFormatException ex) {
                    throw new ModelFormatException("added_tokens_decoder key '" + e.getKey() + "' is not a token id");
                }
                if (e.getValue() instanceof Map<?, ?> t) {
                    out.add(new AddedToken(id, string(t.get("content"), "added token " + id + " content"),
                            Boolean.TRUE.equals(t.get("special")), Boolean.TRUE.equals(t.get("lstrip")),
                            Boolean.TRUE.equals(t.get("rstrip"))));
                }
            }
        }
        return out;
    }

    /** Token -> id entries of a JSON object such as {@code vocab.json}. */
    static Map<String, Integer> tokenIds(Object json, String what) {
        Map<String, Object> m;
        try {
            m = Json.asObject(json, what);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(e.getMessage(), e);
        }
        Map<String, Integer> out = new LinkedHashMap<>(m.size() * 2);
        for (Map.Entry<String, Object> e : m.entrySet()) {
            out.put(e.getKey(), intValue(e.getValue(), what + " entry '" + e.getKey() + "'"));
        }
        return out;
    }

    /**
     * The id-ordered token table. Base tokens get the type {@code baseType} says; added tokens are
     * CONTROL when special, else USER_DEFINED, and carry their strip flags.
     */
    static Table assemble(String model, Map<String, Integer> vocab, List<AddedToken> added,
                                       IntFunction<TokenType> baseType, java.util.function.Function<String, String> textOf) {
        int size = 0;
        for (int id : vocab.values()) {
            size = Math.max(size, id + 1);
        }
        for (AddedToken t : added) {
            size = Math.max(size, t.id() + 1);
        }
        if (size > 16_000_000) {
            throw new ModelFormatException("tokenizer vocabulary ids go up to " + (size - 1) + ", which is not plausible");
        }
        String[] texts = new String[size];
        TokenType[] types = new TokenType[size];
        Map<String, Integer> seen = new HashMap<>();
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            int id = e.getValue();
            if (texts[id] != null) {
                throw new ModelFormatException("tokens '" + texts[id] + "' and '" + e.getKey() + "' share id " + id);
            }
            texts[id] = textOf.apply(e.getKey());
            types[id] = baseType.apply(id);
            seen.put(e.getKey(), id);
        }
        List<int[]> strips = new ArrayList<>();
        for (AddedToken t : added) {
            Integer existing = seen.get(t.content());
            if (existing != null && existing != t.id()) {
                throw new ModelFormatException("added token '" + t.content() + "' has id " + t.id()
                        + " but the vocabulary gives it id " + existing);
            }
            texts[t.id()] = t.content();
            types[t.id()] = t.special() ? TokenType.CONTROL : TokenType.USER_DEFINED;
            if (t.lstrip() || t.rstrip()) {
                strips.add(new int[] {t.id(), t.lstrip() ? 1 : 0, t.rstrip() ? 1 : 0});
            }
        }
        for (int id = 0; id < size; id++) {
            if (texts[id] == null) {
                texts[id] = "[PAD" + id + "]";
                types[id] = TokenType.UNUSED;
            }
        }
        Vocabulary.Builder b = Vocabulary.builder(model, texts, types);
        for (int[] s : strips) {
            b.strip(s[0], s[1] == 1, s[2] == 1);
        }
        return new Table(texts, types, b);
    }

    /** The id of a token text in a table, or -1 (also for null). */
    static int find(String[] texts, String text) {
        if (text == null) {
            return -1;
        }
        for (int id = 0; id < texts.length; id++) {
            if (texts[id].equals(text)) {
                return id;
            }
        }
        return -1;
    }
}
