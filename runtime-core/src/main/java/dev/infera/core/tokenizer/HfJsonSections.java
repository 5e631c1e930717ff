package dev.infera.core.tokenizer;

import dev.infera.api.ModelFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the normalizer, pre-tokenizer and post-processor sections of a {@code tokenizer.json} amount to
 * for our tokenizers: NFC or not, byte-level or SentencePiece-style (U+2581 spaces, space prefix), the
 * list of split regexes, and the BOS/EOS the post-processor adds. Steps we cannot reproduce exactly are
 * rejected with a {@link ModelFormatException} naming them.
 */
final class HfJsonSections {

    private HfJsonSections() {
    }

    /** A regex matching exactly the given text. */
    static String quoteLiteral(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("\\^$.|?*+()[]{}".indexOf(c) >= 0) {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** What the normalizer and pre-tokenizer sections amount to. */
    static final class Normalization {
        final List<String> regexes = new ArrayList<>();
        boolean nfc;
        boolean byteLevel;
        boolean spaceEscape;
        boolean prependSpace;

        void readNormalizer(Object json) {
            if (json == null) {
                return;
            }
            Map<String, Object> n = HfTokenizerJson.object(json, "normalizer");
            String type = String.valueOf(n.get("type"));
            switch (type) {
                case "Sequence" -> HfTokenizerJson.list(n.get("normalizers"), "normalizer.normalizers").forEach(this::readNormalizer);
                case "NFC" -> nfc = true;
                case "Prepend" -> {
                    if (!"\u2581".equals(n.get("prepend"))) {
                        throw new ModelFormatException("tokenizer.json Prepend normalizer of '" + n.get("prepend") + "' is not supported");
                    }
                    prependSpace = true;
                }
                case "Replace" -> {
                    Map<String, Object> pattern = HfTokenizerJson.object(n.get("pattern"), "Replace pattern");
                    if (!" ".equals(pattern.get("String")) || !"\u2581".equals(n.get("content"))) {
                        throw new ModelFormatException("tokenizer.json Replace normalizer other than ' ' -> U+2581 is not supported");
                    }
                    spaceEscape = true;
                }
                default -> throw new ModelFormatException("tokenizer.json normalizer '" + type + "' is not supported");
            }
        }

        void readPreTokenizer(Object json) {
            if (json == null) {
                return;
            }
            Map<String, Object> p = HfTokenizerJson.object(json, "pre_tokenizer");
            String type = String.valueOf(p.get("type"));
            switch (type) {
                case "Sequence" -> HfTokenizerJson.list(p.get("pretokenizers"), "pre_tokenizer.pretokenizers").forEach(this::readPreTokenizer);
                case "ByteLevel" -> {
                    if (Boolean.TRUE.equals(p.get("add_prefix_space"))) {
                        throw new ModelFormatException("tokenizer.json ByteLevel pre-tokenizer with add_prefix_space=true is not supported");
                    }
                    byteLevel = true;
                    if (!Boolean.FALSE.equals(p.get("use_regex"))) {
                        regexes.add(PreTokenizers.GPT2);
                    }
                }
                case "Split" -> {
                    Map<String, Object> pattern = HfTokenizerJson.object(p.get("pattern"), "Split pattern");
                    if (!"Isolated".equals(p.get("behavior")) || Boolean.TRUE.equals(p.get("invert"))) {
                        throw new ModelFormatException("tokenizer.json Split with behavior '" + p.get("behavior")
                                + "'" + (Boolean.TRUE.equals(p.get("invert")) ? " (inverted)" : "") + " is not supported");
                    }
                    if (pattern.get("Regex") instanceof String r) {
                        regexes.add(r);
                    } else if (pattern.get("String") instanceof String s) {
                        regexes.add(quoteLiteral(s));
                    } else {
                        throw new ModelFormatException("tokenizer.json Split pattern must be a Regex or String");
                    }
                }
                case "Digits" -> regexes.add(Boolean.TRUE.equals(p.get("individual_digits")) ? "\\p{N}" : "\\p{N}+");
                case "Metaspace" -> {
                    if (Boolean.TRUE.equals(p.get("split"))) {
                        throw new ModelFormatException("tokenizer.json Metaspace pre-tokenizer with split=true is not supported");
                    }
                    spaceEscape = true;
                    Object scheme = p.get("prepend_scheme");
                    prependSpace = scheme != null ? !"never".equals(scheme) : !Boolean.FALSE.equals(p.get("add_prefix_space"));
                }
                default -> throw new ModelFormatException("tokenizer.json pre-tokenizer '" + type + "' is not supported");
            }
        }
    }

    /** BOS/EOS the post-processor puts around a single sequence. */
    static final class PostProcessing {
        String bos;
        String eos;

        void read(Object json) {
            if (json == null) {
                return;
            }
            Map<String, Object> p = HfTokenizerJson.object(json, "post_processor");
            switch (String.valueOf(p.get("type"))) {
                case "Sequence" -> HfTokenizerJson.list(p.get("processors"), "post_processor.processors").forEach(this::read);
                case "TemplateProcessing" -> {
                    boolean seenSequence = false;
                    for (Object item : HfTokenizerJson.list(p.get("single"), "post_processor.single")) {
                        Map<String, Object> it = HfTokenizerJson.object(item, "template item");
                        if (it.containsKey("Sequence")) {
                            seenSequence = true;
                        } else if (it.get("SpecialToken") instanceof Map<?, ?> st && st.get("id") instanceof String id) {
                            if (seenSequence) {
                                eos = id;
                            } else {
                                bos = id;
                            }
                        }
                    }
                }
                case "RobertaProcessing", "BertProcessing" -> {
                    bos = firstOfPair(p.get("cls"));
                    eos = firstOfPair(p.get("sep"));
                }
                default -> {
                    // ByteLevel and other processors add no tokens around a single sequence.
                }
            }
        }

        private static String firstOfPair(Object json) {
            return json instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof String s ? s : null;
        }
    }
}
