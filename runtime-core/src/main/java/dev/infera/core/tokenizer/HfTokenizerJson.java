package dev.infera.core.tokenizer;

import dev.infera.api.ModelFormatException;
import dev.infera.core.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Loads a Hugging Face {@code tokenizer.json}.
 *
 * <p>Supported: BPE models with byte-level pre-tokenization (GPT-2, Llama 3, Qwen 2, SmolLM...; the
 * pre-tokenizer's Split/Digits/ByteLevel steps become our regex list, and its name is looked up so the
 * tokenizer can be written to GGUF), SentencePiece-style BPE models (spaces replaced by U+2581, byte
 * fallback; turned into a score-based SentencePiece vocabulary whose scores follow the merge order),
 * and WordPiece models with the BERT normalizer. Anything else (Unigram, WordLevel, unusual
 * normalizers) is reported as unsupported by name.
 */
final class HfTokenizerJson {

    private static final List<String> BOS_GUESSES = List.of("<|begin_of_text|>", "<s>", "<bos>", "<|startoftext|>");
    private static final List<String> EOS_GUESSES = List.of("<|end_of_text|>", "<|endoftext|>", "</s>", "<eos>");

    private HfTokenizerJson() {
    }

    static Tokenizer load(Path file, String preOverride) throws IOException {
        Map<String, Object> root = HfFiles.readObject(file);
        Map<String, Object> model = object(root.get("model"), "model");
        Object type = model.get("type");
        if (type == null) {
            type = model.containsKey("merges") ? "BPE" : model.get("vocab") instanceof List<?> ? "Unigram" : "WordPiece";
        }
        List<HfFiles.AddedToken> added = addedTokens(root.get("added_tokens"));
        Path dir = file.toAbsolutePath().getParent();
        Map<String, Object> config = dir == null ? Map.of() : HfFiles.tokenizerConfig(dir);
        return switch (String.valueOf(type)) {
            case "BPE" -> loadBpe(root, model, added, config, preOverride);
            case "WordPiece" -> loadWordPiece(root, model, added, config);
            default -> throw new ModelFormatException("tokenizer.json model type '" + type
                    + "' is not supported (supported: BPE, WordPiece)");
        };
    }

    private static Tokenizer loadBpe(Map<String, Object> root, Map<String, Object> model, List<HfFiles.AddedToken> added,
                                     Map<String, Object> config, String preOverride) {
        Map<String, Integer> vocab = HfFiles.tokenIds(model.get("vocab"), "model.vocab");
        String[] merges = merges(model.get("merges"));
        HfJsonSections.Normalization norm = new HfJsonSections.Normalization();
        norm.readNormalizer(root.get("normalizer"));
        norm.readPreTokenizer(root.get("pre_tokenizer"));
        boolean ignoreMerges = Boolean.TRUE.equals(model.get("ignore_merges"));
        if (norm.byteLevel) {
            if (norm.spaceEscape || norm.prependSpace) {
                throw new ModelFormatException("tokenizer.json mixes byte-level and SentencePiece-style pre-tokenization");
            }
            HfFiles.Table table = HfFiles.assemble("gpt2", vocab, added, id -> TokenType.NORMAL, t -> t);
            String pre = preOverride != null ? preOverride : PreTokenizers.nameOf(norm.regexes, ignoreMerges, norm.nfc).orElse(null);
            Vocabulary v = withSpecials(table, root, config, model).pre(pre).merges(merges).build();
            if (preOverride != null) {
                return Tokenizers.bpe(v, PreTokenizers.forName(preOverride));
            }
            return new BpeTokenizer(v, new BpeTokenizer.Options(PreTokenizer.of(norm.regexes), ignoreMerges, norm.nfc, true, false));
        }
        if (norm.spaceEscape) {
            return loadSentencePieceBpe(root, model, vocab, merges, added, config, norm);
        }
        throw new ModelFormatException("tokenizer.json BPE model has neither byte-level nor SentencePiece-style "
                + "(U+2581 space) pre-tokenization; not supported");
    }

    private static Tokenizer loadSentencePieceBpe(Map<String, Object> root, Map<String, Object> model,
                                                  Map<String, Integer> vocab, String[] merges,
                                                  List<HfFiles.AddedToken> added, Map<String, Object> config,
                                                  HfJsonSections.Normalization norm) {
        if (!norm.regexes.isEmpty()) {
            throw new ModelFormatException("tokenizer.json: SentencePiece-style BPE with extra split steps is not supported");
        }
        HfFiles.Table table = HfFiles.assemble("llama", vocab, added, id -> TokenType.NORMAL, t -> t);
        String[] texts = table.texts();
        TokenType[] types = table.types();
        float[] scores = new float[texts.length];
        java.util.Arrays.fill(scores, -1e9f);
        Map<String, Integer> ids = new java.util.HashMap<>(texts.length * 2);
        for (int id = 0; id < texts.length; id++) {
            ids.put(texts[id], id);
            if (texts[id].codePointCount(0, texts[id].length()) == 1) {
                scores[id] = 0f;
            }
            if (types[id] == TokenType.NORMAL && texts[id].length() == 6 && texts[id].matches("<0x[0-9A-F]{2}>")) {
                types[id] = TokenType.BYTE;
            }
        }
        for (int rank = 0; rank < merges.length; rank++) {
            int space = merges[rank].indexOf(' ', 1);
            Integer merged = ids.get(merges[rank].substring(0, space) + merges[rank].substring(space + 1));
            if (merged != null && scores[merged] == -1e9f) {
                scores[merged] = -rank - 1;
            }
        }
        Object unk = model.get("unk_token");
        int unkId = unk instanceof String s ? table.find(s) : -1;
        if (unkId >= 0) {
            types[unkId] = TokenType.UNKNOWN;
        }
        Vocabulary.Builder b = withSpecials(table, root, config, model).scores(scores).addSpacePrefix(norm.prependSpace);
        return Tokenizers.fromVocabulary(b.build());
    }

    private static Tokenizer loadWordPiece(Map<String, Object> root, Map<String, Object> model,
                                           List<HfFiles.AddedToken> added, Map<String, Object> config) {
        Map<String, Integer> vocab = HfFiles.tokenIds(model.get("vocab"), "model.vocab");
        String prefix = model.get("continuing_subword_prefix") instanceof String s ? s : "##";
        java.util.Set<String> addedTexts = new java.util.HashSet<>();
        added.forEach(t -> addedTexts.add(t.content()));
        HfFiles.Table table = HfFiles.assemble("bert", vocab, added, id -> TokenType.NORMAL, t -> {
            if (addedTexts.contains(t) || (t.startsWith("[") && t.endsWith("]"))) {
                return t;
            }
            return t.startsWith(prefix) ? t.substring(prefix.length()) : "\u2581" + t;
        });
        boolean lowercase = true;
        Boolean strip = null;
        if (root.get("normalizer") instanceof Map<?, ?> n && "BertNormalizer".equals(n.get("type"))) {
            lowercase = !Boolean.FALSE.equals(n.get("lowercase"));
            strip = n.get("strip_accents") instanceof Boolean b ? b : null;
        }
        Object unk = model.get("unk_token");
        SpecialTokenIds ids = SpecialTokenIds.NONE
                .withBos(table.find("[CLS]")).withSep(table.find("[SEP]")).withPad(table.find("[PAD]"))
                .withMask(table.find("[MASK]")).withUnk(unk instanceof String s ? table.find(s) : table.find("[UNK]"));
        Vocabulary v = table.builder().pre("default").special(ids).addBos(ids.bos() >= 0).addSep(ids.sep() >= 0)
                .lowercase(lowercase).stripAccents(strip != null ? strip : lowercase).build();
        return Tokenizers.fromVocabulary(v);
    }

    /** Special ids and add-BOS/EOS from the post-processor, tokenizer_config.json, or well-known texts. */
    private static Vocabulary.Builder withSpecials(HfFiles.Table table, Map<String, Object> root,
                                                   Map<String, Object> config, Map<String, Object> model) {
        HfJsonSections.PostProcessing post = new HfJsonSections.PostProcessing();
        post.read(root.get("post_processor"));
        int bos = post.bos != null ? table.find(post.bos) : table.find(HfFiles.tokenContent(config, "bos_token"));
        int eos = post.eos != null ? table.find(post.eos) : table.find(HfFiles.tokenContent(config, "eos_token"));
        if (bos < 0 && config.isEmpty()) {
            bos = firstFound(table, BOS_GUESSES);
        }
        if (eos < 0 && config.isEmpty()) {
            eos = firstFound(table, EOS_GUESSES);
        }
        Boolean addBos = HfFiles.flag(config, "add_bos_token");
        Boolean addEos = HfFiles.flag(config, "add_eos_token");
        Object unk = model.get("unk_token");
        SpecialTokenIds ids = SpecialTokenIds.NONE.withBos(bos).withEos(eos)
                .withUnk(unk instanceof String s ? table.find(s) : -1)
                .withPad(table.find(HfFiles.tokenContent(config, "pad_token")));
        return table.builder().special(ids)
                .addBos(addBos != null ? addBos : post.bos != null)
                .addEos(addEos != null ? addEos : post.eos != null);
    }

    private static int firstFound(HfFiles.Table table, List<String> texts) {
        for (String t : texts) {
            int id = table.find(t);
            if (id >= 0) {
                return id;
            }
        }
        return -1;
    }

    private static List<HfFiles.AddedToken> addedTokens(Object json) {
        List<HfFiles.AddedToken> out = new ArrayList<>();
        if (json == null) {
            return out;
        }
        for (Object o : list(json, "added_tokens")) {
            Map<String, Object> t = object(o, "added_tokens entry");
            out.add(new HfFiles.AddedToken(HfFiles.intValue(t.get("id"), "added token id"),
                    HfFiles.string(t.get("content"), "added token content"), Boolean.TRUE.equals(t.get("special")),
                    Boolean.TRUE.equals(t.get("lstrip")), Boolean.TRUE.equals(t.get("rstrip"))));
        }
        return out;
    }

    private static String[] merges(Object json) {
        if (json == null) {
            return new String[0];
        }
        List<Object> list = list(json, "model.merges");
        String[] out = new String[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object m = list.get(i);
            if (m instanceof String s) {
                if (s.indexOf(' ', 1) < 0) {
                    throw new ModelFormatException("model.merges[" + i + "] is not 'left right': '" + s + "'");
                }
                out[i] = s;
            } else if (m instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof String a
                    && pair.get(1) instanceof String b) {
                out[i] = a + " " + b;
            } else {
                throw new ModelFormatException("model.merges[" + i + "] must be \"left right\" or [left, right]");
            }
        }
        return out;
    }

    static Map<String, Object> object(Object json, String what) {
        try {
            return Json.asObject(json, "tokenizer.json " + what);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(e.getMessage(), e);
        }
    }

    static List<Object> list(Object json, String what) {
        try {
            return Json.asArray(json, "tokenizer.json " + what);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(e.getMessage(), e);
        }
    }
}
