package dev.infera.core.tokenizer;

import dev.infera.api.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads a byte-level BPE tokenizer from a folder in the older Hugging Face layout: {@code vocab.json}
 * (token -> id) and {@code merges.txt} (one "left right" rule per line, highest priority first),
 * with {@code added_tokens.json}, {@code special_tokens_map.json} and {@code tokenizer_config.json}
 * when present. These files do not say how text is split before merging; the pre-tokenizer comes from
 * the caller or from the tokenizer class named in {@code tokenizer_config.json}.
 */
final class HfVocabMerges {

    private HfVocabMerges() {
    }

    static Tokenizer load(Path dir, String preOverride) throws IOException {
        Map<String, Object> config = HfFiles.tokenizerConfig(dir);
        String pre = preOverride != null ? preOverride : preForClass(config.get("tokenizer_class"));
        if (pre == null) {
            throw new ModelFormatException("the tokenizer files in " + dir + " do not say how to pre-tokenize "
                    + "(tokenizer_class " + config.get("tokenizer_class") + "); name a pre-tokenizer (--pre), e.g. gpt-2, "
                    + "llama-bpe, qwen2");
        }
        PreTokenizers.Config preConfig = PreTokenizers.forName(pre);
        Map<String, Integer> vocab = HfFiles.tokenIds(HfFiles.readJson(dir.resolve("vocab.json")), "vocab.json");
        String[] merges = readMerges(dir.resolve("merges.txt"));

        Set<String> specialTexts = new HashSet<>();
        for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token")) {
            String t = HfFiles.tokenContent(config, key);
            if (t != null) {
                specialTexts.add(t);
            }
        }
        Path specialMap = dir.resolve("special_tokens_map.json");
        Map<String, Object> specials = Files.isRegularFile(specialMap) ? HfFiles.readObject(specialMap) : Map.of();
        collectSpecialTexts(specials, specialTexts);
        collectSpecialTexts(config, specialTexts);

        List<HfFiles.AddedToken> added = new ArrayList<>(HfFiles.addedTokensDecoder(config));
        Set<String> addedTexts = new HashSet<>();
        added.forEach(t -> addedTexts.add(t.content()));
        Path addedFile = dir.resolve("added_tokens.json");
        if (Files.isRegularFile(addedFile)) {
            for (Map.Entry<String, Integer> e : HfFiles.tokenIds(HfFiles.readJson(addedFile), "added_tokens.json").entrySet()) {
                if (addedTexts.add(e.getKey())) {
                    added.add(new HfFiles.AddedToken(e.getValue(), e.getKey(), specialTexts.contains(e.getKey()), false, false));
                }
            }
        }

        HfFiles.Table table = HfFiles.assemble("gpt2", vocab, added, id -> TokenType.NORMAL, t -> t);
        SpecialTokenIds ids = SpecialTokenIds.NONE
                .withBos(table.find(HfFiles.tokenContent(config, "bos_token")))
                .withEos(table.find(HfFiles.tokenContent(config, "eos_token")))
                .withUnk(table.find(HfFiles.tokenContent(config, "unk_token")))
                .withPad(table.find(HfFiles.tokenContent(config, "pad_token")));
        Boolean addBos = HfFiles.flag(config, "add_bos_token");
        Boolean addEos = HfFiles.flag(config, "add_eos_token");
        Vocabulary v = table.builder().pre(pre).merges(merges).special(ids)
                .addBos(addBos != null ? addBos : preConfig.addBos() && ids.bos() >= 0)
                .addEos(addEos != null && addEos)
                .build();
        return Tokenizers.bpe(v, preConfig);
    }

    private static void collectSpecialTexts(Map<String, Object> m, Set<String> out) {
        if (m.get("additional_special_tokens") instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof String s) {
                    out.add(s);
                } else if (o instanceof Map<?, ?> t && t.get("content") instanceof String s) {
                    out.add(s);
                }
            }
        }
        for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
            String t = HfFiles.tokenContent(m, key);
            if (t != null) {
                out.add(t);
            }
        }
    }

    /** The pre-tokenizer a Hugging Face tokenizer class implies, or null. */
    static String preForClass(Object tokenizerClass) {
        if (!(tokenizerClass instanceof String c)) {
            return null;
        }
        return switch (c) {
            case "Qwen2Tokenizer", "Qwen2TokenizerFast" -> "qwen2";
            case "GPT2Tokenizer", "GPT2TokenizerFast" -> "gpt-2";
            default -> null;
        };
    }

    static String[] readMerges(Path file) throws IOException {
        List<String> lines = HfFiles.readUtf8(file).lines().toList();
        List<String> merges = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i == 0 && line.startsWith("#version")) {
                continue;
            }
            if (line.isEmpty()) {
                continue;
            }
            if (line.indexOf(' ', 1) < 0) {
                throw new ModelFormatException(file + " line " + (i + 1) + " is not a merge rule 'left right': '" + line + "'");
            }
            merges.add(line);
        }
        return merges.toArray(String[]::new);
    }
}
