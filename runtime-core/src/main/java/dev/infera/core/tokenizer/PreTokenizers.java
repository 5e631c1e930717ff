package dev.infera.core.tokenizer;

import dev.infera.api.ModelFormatException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The named pre-tokenizers of byte-level BPE vocabularies, keyed by the names GGUF files carry in
 * {@code tokenizer.ggml.pre}. Each name stands for a list of split regexes (applied one after the
 * other, each splitting the pieces the previous ones left, keeping both matches and the text between
 * them) plus the options that go with it: whether a whole pre-token found in the vocabulary is taken
 * without merging ({@code ignore_merges}), NFC normalization, and the default for adding BOS.
 *
 * <p>The regexes are written as the models' own tokenizer files write them (Oniguruma syntax);
 * {@link RegexTranslator} turns them into Java patterns. Several names share one configuration.
 */
public final class PreTokenizers {

    /** One pre-tokenizer configuration. */
    public record Config(List<String> regexes, boolean ignoreMerges, boolean nfc, boolean addBos,
                         boolean byteLevel, boolean noBos) {
        public Config {
            regexes = List.copyOf(regexes);
        }
    }

    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String DIGITS = "\\p{N}";
    /** Marker for the digit grouping of AFMoE (leading 1-2 digits, then groups of 3); not a regex. */
    static final String AFMOE_DIGITS = "\\p{AFMoE_digits}";

    private static final String CASED_CONTRACTIONS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
    private static final String TEKKEN = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String GPT4O = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
            + CASED_CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
            + CASED_CONTRACTIONS + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String GRANITE_EMB_MULTI = "[^\\r\\n\\p{L}\\p{N}]?(?:(?=[\\p{L}\\p{M}])[^a-z])*(?:(?=[\\p{L}\\p{M}])[^A-Z])+"
            + CASED_CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?(?:(?=[\\p{L}\\p{M}])[^a-z])+(?:(?=[\\p{L}\\p{M}])[^A-Z])*"
            + CASED_CONTRACTIONS + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String JAIS2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)"
            + "|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}";
    private static final String CJK_DEEPSEEK = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";
    private static final String CJK_KANA = "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+";
    private static final String DEEPSEEK_LETTERS = "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF"
            + "\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C"
            + "\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD"
            + "\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45"
            + "\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4"
            + "\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113"
            + "\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E"
            + "\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F"
            + "\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A"
            + "\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}"
            + "\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+";
    private static final String DEEPSEEK_PUNCT = "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+";
    private static final String DEEPSEEK3_MAIN = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
            + "|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";
    private static final String SPARK_MAIN = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
            + "|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+|[\r\n]|\\s+(?!\\S)|\\s+";
    private static final String YOUTU_CJK = "[\uAC00-\uD7A3\u3131-\u318E]+|[\uFF01\u2026\u201C\u201D\u2018\u2019\u2014\uFF1A"
            + "\uFF1B\uFF0C\u3001-\u303F\uFE30-\uFE4F]+|[\u3105-\u312F]+|[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+";
    private static final String YOUTU_MAIN = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
            + CASED_CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
            + CASED_CONTRACTIONS + "?|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String BLOOM = " ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";
    private static final String KIMI_K2 = "[\\p{Han}]+|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}&&[^\\p{Han}]]*"
            + "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}&&[^\\p{Han}]]+" + CASED_CONTRACTIONS + "?"
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}&&[^\\p{Han}]]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}&&[^\\p{Han}]]*"
            + CASED_CONTRACTIONS + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String AFMOE_CJK = "[\u4E00-\u9FFF\u3400-\u4DBF\uF900-\uFAFF\u3040-\u309F\u30A0-\u30FF\uFF65-\uFF9F"
            + "\u2F00-\u2FDF\u0E00-\u0E7F\u0E80-\u0EFF\u1780-\u17FF\u1000-\u109F\uAA60-\uAA7F\uA9E0-\uA9FF\uAC00-\uD7AF"
            + "\u1100-\u11FF]+";

    private static final Map<String, Config> BY_NAME = new LinkedHashMap<>();

    static {
        Config gpt2 = plain(GPT2);
        register(gpt2, "gpt-2", "mpt", "olmo", "jais", "trillion", "granite-docling", "phi-2", "jina-es", "jina-de",
                "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum", "modern-bert", "exaone4", "jina-v1-en",
                "jina-v2-code", "roberta-bpe");
        register(plain("[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]"), "default");
        register(new Config(List.of(LLAMA3), true, false, true, true, false), "llama3", "llama-v3", "llama-bpe",
                "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano");
        register(plain(LLAMA3), "dbrx", "smaug-bpe");
        register(new Config(List.of(LLAMA3), false, false, false, true, true), "chatglm-bpe", "glm4");
        register(plain(JAIS2), "jais-2");
        register(plain("[\r\n]", DEEPSEEK_LETTERS, DEEPSEEK_PUNCT, "\\s+$", CJK_DEEPSEEK, "\\p{N}+"), "deepseek-llm");
        register(plain("[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", CJK_DEEPSEEK, "\\p{N}"), "deepseek-coder");
        register(plain("\\p{N}{1,3}", CJK_KANA, DEEPSEEK3_MAIN), "deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4");
        register(plain("\\p{N}{1,3}", CJK_KANA, SPARK_MAIN, "\\p{N}"), "spark2_5");
        register(new Config(List.of(YOUTU_CJK, YOUTU_MAIN), true, false, false, true, false), "youtu");
        register(plain("[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]"), "falcon");
        register(plain(DIGITS, GPT2), "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone",
                "minerva-7b", "mellum2");
        register(new Config(List.of(QWEN2), false, true, false, true, false), "qwen2", "deepseek-r1-qwen");
        register(plain(QWEN2), "stablelm2", "kormo", "f2llmv2", "hunyuan", "solar-open", "megrez", "grok-2");
        register(new Config(List.of("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}"
                + "| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"), false, true, false, true, false), "qwen35");
        register(plain(BLOOM), "poro-chat", "bloom", "gpt3-finnish");
        register(plain(BLOOM, DIGITS), "viking");
        register(new Config(List.of(TEKKEN), true, false, true, true, false), "tekken");
        register(new Config(List.of("<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )",
                DIGITS, "[\\p{P}!-/:-@\\[-`{-~]", GPT2), false, false, true, true, false), "chameleon");
        register(plain(GPT4O), "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2");
        register(new Config(List.of(GRANITE_EMB_MULTI), true, false, false, true, false), "granite-embed-multi-97m");
        register(plain("\\d{1,3}(?=(?:\\d{3})*\\b)", GPT4O), "tiny_aya", "cohere2moe");
        register(plain(KIMI_K2), "kimi-k2");
        register(plain("\\p{N}+", "(?=(\\d{3})+(?!\\d))"), "superbpe");
        register(plain("'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*"
                + "|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"), "bailingmoe", "bailingmoe2", "llada-moe");
        register(plain("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+"
                + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"), "seed-coder");
        register(plain("[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
                "ufakzeka");
        register(plain(AFMOE_DIGITS, AFMOE_CJK, DEEPSEEK3_MAIN), "afmoe");
        register(plain("[^\\n]+|[\\n]+", QWEN2), "laguna");
        register(plain("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"), "exaone-moe");
        register(new Config(List.of("\\p{N}{1,3}", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"), true, false, false, true, false), "minicpm5");
        register(new Config(List.of("[^\\n]+|[\\n]+"), false, false, true, false, false), "gemma4",
                "granite-embed-multi-311m");
        register(new Config(List.of("[^\\n]+|[\\n]+"), false, false, false, false, false), "sarvam-moe");
    }

    private PreTokenizers() {
    }

    private static Config plain(String... regexes) {
        return new Config(List.of(regexes), false, false, false, true, false);
    }

    private static void register(Config config, String... names) {
        for (String name : names) {
            BY_NAME.put(name, config);
        }
    }

    /** The configuration of a pre-tokenizer name; a name we do not know is a {@link ModelFormatException}. */
    public static Config forName(String name) {
        Config c = BY_NAME.get(name);
        if (c == null) {
            throw new ModelFormatException("unknown pre-tokenizer type '" + name + "' (tokenizer.ggml.pre); known: "
                    + String.join(", ", BY_NAME.keySet()));
        }
        return c;
    }

    public static boolean isKnown(String name) {
        return BY_NAME.containsKey(name);
    }

    /** All names, in registration order. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    /**
     * The first registered name whose regexes and merge/normalization options equal the given ones, for
     * naming a pre-tokenizer read from a file that does not name it.
     */
    public static Optional<String> nameOf(List<String> regexes, boolean ignoreMerges, boolean nfc) {
        for (Map.Entry<String, Config> e : BY_NAME.entrySet()) {
            Config c = e.getValue();
            if (c.byteLevel() && c.regexes().equals(regexes) && c.ignoreMerges() == ignoreMerges && c.nfc() == nfc) {
                return Optional.of(e.getKey());
            }
        }
        return Optional.empty();
    }
}
