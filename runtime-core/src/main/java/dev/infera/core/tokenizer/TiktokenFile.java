package dev.infera.core.tokenizer;

import dev.infera.api.ModelFormatException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Loads a tiktoken ranks file: one {@code base64(token bytes) rank} pair per line, the rank being the
 * token id and the merge priority. Merge rules are derived from the ranks ({@link MergeDerivation}).
 *
 * <p>A file of exactly 128,000 ranks is taken to be Llama 3's {@code tokenizer.model}: its 256 special
 * tokens (not in the file) are added as ids 128000-128255 with Llama 3's names, BOS =
 * {@code <|begin_of_text|>}, EOS = {@code <|end_of_text|>}, and BOS is added when encoding. The
 * pre-tokenizer defaults to Llama 3's ({@code llama-bpe}).
 */
final class TiktokenFile {

    static final int LLAMA3_BASE_TOKENS = 128_000;
    static final int LLAMA3_SPECIAL_TOKENS = 256;
    /** How many ranks beyond the entry count a file may skip (unused ids); real files skip none. */
    static final int RANK_GAP_SLACK = 1024;

    private TiktokenFile() {
    }

    /** Whether the first non-empty line looks like {@code base64 rank}. */
    static boolean looksLikeTiktoken(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    return line.matches("[A-Za-z0-9+/=]+ [0-9]+");
                }
            }
        }
        return false;
    }

    static Tokenizer load(Path file, String preOverride) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        int maxRank = maxPlausibleRank(lines);
        List<byte[]> byRank = new ArrayList<>(lines.size());
        Base64.Decoder base64 = Base64.getDecoder();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int space = line.indexOf(' ');
            if (space <= 0) {
                throw new ModelFormatException(file + " line " + (i + 1) + " is not 'base64 rank'");
            }
            byte[] token;
            int rank;
            try {
                token = base64.decode(line.substring(0, space));
                rank = Integer.parseInt(line.substring(space + 1).trim());
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(file + " line " + (i + 1) + " is not 'base64 rank': " + e.getMessage(), e);
            }
            if (rank < 0 || rank > maxRank) {
                throw new ModelFormatException(file + " line " + (i + 1) + " has rank " + rank + ", beyond the "
                        + (maxRank + 1 - RANK_GAP_SLACK) + " entries of the file (ranks are token ids; at most "
                        + RANK_GAP_SLACK + " may be unused)");
            }
            while (byRank.size() <= rank) {
                byRank.add(null);
            }
            if (byRank.get(rank) != null) {
                throw new ModelFormatException(file + " line " + (i + 1) + " repeats rank " + rank);
            }
            byRank.set(rank, token);
        }
        boolean llama3 = byRank.size() == LLAMA3_BASE_TOKENS;
        int size = byRank.size() + (llama3 ? LLAMA3_SPECIAL_TOKENS : 0);
        String[] texts = new String[size];
        TokenType[] types = new TokenType[size];
        Arrays.fill(types, TokenType.NORMAL);
        for (int id = 0; id < byRank.size(); id++) {
            byte[] token = byRank.get(id);
            if (token == null) {
                texts[id] = "[PAD" + id + "]";
                types[id] = TokenType.UNUSED;
            } else {
                texts[id] = ByteLevel.encode(token);
            }
        }
        SpecialTokenIds ids = SpecialTokenIds.NONE;
        if (llama3) {
            String[] names = llama3SpecialNames();
            for (int i = 0; i < names.length; i++) {
                texts[LLAMA3_BASE_TOKENS + i] = names[i];
                types[LLAMA3_BASE_TOKENS + i] = TokenType.CONTROL;
            }
            ids = ids.withBos(LLAMA3_BASE_TOKENS).withEos(LLAMA3_BASE_TOKENS + 1);
        }
        String pre = preOverride != null ? preOverride : "llama-bpe";
        PreTokenizers.Config config = PreTokenizers.forName(pre);
        Vocabulary v = Vocabulary.builder("gpt2", texts, types)
                .pre(pre)
                .merges(MergeDerivation.fromTokenRanks(texts, types))
                .special(ids)
                .addBos(llama3)
                .build();
        return Tokenizers.bpe(v, config);
    }

    /**
     * The largest rank accepted: the number of entries plus {@link #RANK_GAP_SLACK}. Ranks are dense
     * token ids, so a rank far beyond the entry count is a damaged file; bounding it keeps one forged
     * line from making us allocate a table for millions of missing tokens.
     */
    private static int maxPlausibleRank(List<String> lines) {
        int entries = 0;
        for (String line : lines) {
            if (!line.isBlank()) {
                entries++;
            }
        }
        return entries - 1 + RANK_GAP_SLACK;
    }

    /** Llama 3's special token names for ids 128000-128255. */
    static String[] llama3SpecialNames() {
        List<String> names = new ArrayList<>(List.of("<|begin_of_text|>", "<|end_of_text|>",
                "<|reserved_special_token_0|>", "<|reserved_special_token_1|>", "<|reserved_special_token_2|>",
                "<|reserved_special_token_3|>", "<|start_header_id|>", "<|end_header_id|>",
                "<|reserved_special_token_4|>", "<|eot_id|>"));
        for (int i = 5; names.size() < LLAMA3_SPECIAL_TOKENS; i++) {
            names.add("<|reserved_special_token_" + i + "|>");
        }
        return names.toArray(String[]::new);
    }
}
