package dev.infera.core.tokenizer;

import dev.infera.api.ModelFormatException;
import dev.infera.core.gguf.GgufArray;
import dev.infera.core.gguf.GgufMetadata;
import dev.infera.core.gguf.GgufValue;
import dev.infera.core.gguf.GgufValueType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a {@link Vocabulary} from GGUF {@code tokenizer.ggml.*} metadata and writes one back.
 *
 * <p>Reading uses the GGUF defaults where keys are missing: SentencePiece
 * vocabularies get BOS 1, EOS 2, UNK 0, add BOS and a space prefix; WordPiece gets CLS 101 as BOS,
 * SEP 102, UNK 100, PAD 0, MASK 103; byte-level BPE gets none (the old default of id 11 that some
 * readers use names an ordinary token in most BPE vocabularies, so it is not used). Ids out of range keep
 * the default. Writing emits every key needed to rebuild an identical tokenizer, so
 * {@code read(write(v))} gives back {@code v}.
 */
public final class TokenizerGguf {

    static final String MODEL = "tokenizer.ggml.model";
    static final String PRE = "tokenizer.ggml.pre";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String BOS = "tokenizer.ggml.bos_token_id";
    static final String EOS = "tokenizer.ggml.eos_token_id";
    static final String EOT = "tokenizer.ggml.eot_token_id";
    static final String EOM = "tokenizer.ggml.eom_token_id";
    static final String UNK = "tokenizer.ggml.unknown_token_id";
    static final String SEP = "tokenizer.ggml.seperator_token_id";
    static final String PAD = "tokenizer.ggml.padding_token_id";
    static final String MASK = "tokenizer.ggml.mask_token_id";
    static final String CLS = "tokenizer.ggml.cls_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    static final String ADD_SEP = "tokenizer.ggml.add_sep_token";
    static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";
    static final String LOWERCASE = "tokenizer.ggml.normalizer.lowercase";
    static final String STRIP_ACCENTS = "tokenizer.ggml.normalizer.strip_accents";

    private TokenizerGguf() {
    }

    /** The tokenizer stored in a GGUF file (a model or a vocabulary-only file). */
    public static Tokenizer load(java.nio.file.Path ggufFile) {
        return Tokenizers.fromVocabulary(read(ggufFile));
    }

    /** The vocabulary stored in a GGUF file. */
    public static Vocabulary read(java.nio.file.Path ggufFile) {
        try (dev.infera.core.gguf.GgufFile f = dev.infera.core.gguf.GgufFile.open(ggufFile)) {
            return read(f.metadata());
        }
    }

    /** The tokenizer described by GGUF metadata. */
    public static Tokenizer load(GgufMetadata md) {
        return Tokenizers.fromVocabulary(read(md));
    }

    /** The vocabulary described by GGUF metadata; bad or missing keys give a {@link ModelFormatException}. */
    public static Vocabulary read(GgufMetadata md) {
        String model = md.getString(MODEL);
        String pre = md.findString(PRE).orElse(null);
        String[] tokens = md.getStringArray(TOKENS);
        int n = tokens.length;
        float[] scores = null;
        if (md.contains(SCORES)) {
            scores = md.getFloatArray(SCORES);
            requireLength(SCORES, scores.length, n);
            scores = java.util.Arrays.copyOf(scores, n);
        }
        TokenType[] types = new TokenType[n];
        java.util.Arrays.fill(types, TokenType.NORMAL);
        if (md.contains(TOKEN_TYPE)) {
            int[] raw = md.getIntArray(TOKEN_TYPE);
            requireLength(TOKEN_TYPE, raw.length, n);
            for (int i = 0; i < n; i++) {
                types[i] = TokenType.fromGguf(raw[i]);
            }
        }
        SpecialTokenIds defaults;
        boolean addBos;
        boolean addSep = false;
        boolean addSpacePrefix = false;
        String[] merges = null;
        switch (model) {
            case "llama" -> {
                defaults = new SpecialTokenIds(1, 2, -1, -1, 0, -1, -1, -1);
                addBos = true;
                addSpacePrefix = true;
            }
            case "bert" -> {
                defaults = new SpecialTokenIds(101, -1, -1, -1, 100, 102, 0, 103);
                addBos = true;
                addSep = true;
            }
            case "gpt2" -> {
                defaults = SpecialTokenIds.NONE;
                PreTokenizers.Config config = PreTokenizers.forName(pre == null ? "default" : pre);
                addBos = config.addBos();
                if (config.noBos()) {
                    defaults = defaults.withBos(-1);
                }
                merges = md.contains(MERGES) ? md.getStringArray(MERGES) : null;
                if (merges == null) {
                    merges = MergeDerivation.fromTokenRanks(tokens, types);
                }
            }
            default -> throw new ModelFormatException("unsupported tokenizer model '" + model + "' (" + MODEL
                    + "); supported: llama (SentencePiece), gpt2 (byte-level BPE), bert (WordPiece)");
        }
        SpecialTokenIds ids = new SpecialTokenIds(
                id(md, BOS, id(md, CLS, defaults.bos(), n), n), id(md, EOS, defaults.eos(), n), id(md, EOT, -1, n),
                id(md, EOM, -1, n), id(md, UNK, defaults.unk(), n), id(md, SEP, defaults.sep(), n),
                id(md, PAD, defaults.pad(), n), id(md, MASK, defaults.mask(), n));
        Vocabulary.Builder b = Vocabulary.builder(model, tokens, types)
                .pre(pre).scores(scores).merges(merges).special(ids)
                .addBos(md.getBoolean(ADD_BOS, addBos))
                .addEos(md.getBoolean(ADD_EOS, false))
                .addSep(md.getBoolean(ADD_SEP, addSep))
                .addSpacePrefix(md.getBoolean(ADD_SPACE_PREFIX, addSpacePrefix));
        boolean lowercase = md.getBoolean(LOWERCASE, true);
        b.lowercase(lowercase).stripAccents(md.getBoolean(STRIP_ACCENTS, lowercase));
        String name = md.findString("general.name").orElse("").toLowerCase(java.util.Locale.ROOT);
        if (name.contains("phi-3") || name.contains("phi3")) {
            markPhi3Strip(b, tokens, types);
        }
        return b.build();
    }

    /** Phi-3 special tokens swallow the white space after them (its tokenizer files say so; GGUF cannot). */
    private static void markPhi3Strip(Vocabulary.Builder b, String[] tokens, TokenType[] types) {
        for (int id = 0; id < tokens.length; id++) {
            boolean special = types[id] == TokenType.CONTROL || types[id] == TokenType.USER_DEFINED
                    || types[id] == TokenType.UNKNOWN || tokens[id].equals("</s>");
            boolean exempt = tokens[id].equals("<unk>") || tokens[id].equals("<s>") || tokens[id].equals("<|endoftext|>");
            if (special && !exempt) {
                b.strip(id, false, true);
            }
        }
    }

    /** GGUF metadata ({@code tokenizer.ggml.*}) that {@link #read} turns back into the same vocabulary. */
    public static Map<String, GgufValue> toMetadata(Vocabulary v) {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put(MODEL, GgufValue.ofString(v.model()));
        String pre = v.pre();
        if (pre == null) {
            if (v.model().equals("gpt2")) {
                throw new IllegalArgumentException("this BPE tokenizer's pre-tokenizer matches no known name, so it "
                        + "cannot be written to GGUF; name one (e.g. --pre) when loading it");
            }
            pre = "default";
        }
        m.put(PRE, GgufValue.ofString(pre));
        int n = v.size();
        String[] tokens = new String[n];
        int[] types = new int[n];
        for (int id = 0; id < n; id++) {
            tokens[id] = v.text(id);
            types[id] = v.type(id).ggufId();
        }
        m.put(TOKENS, GgufValue.ofArray(new GgufArray(GgufValueType.STRING, tokens)));
        m.put(TOKEN_TYPE, GgufValue.ofArray(GgufArray.ofInt32(types)));
        if (v.hasScores()) {
            float[] scores = new float[n];
            for (int id = 0; id < n; id++) {
                scores[id] = v.score(id);
            }
            m.put(SCORES, GgufValue.ofArray(GgufArray.ofFloat32(scores)));
        }
        if (v.merges() != null) {
            m.put(MERGES, GgufValue.ofArray(new GgufArray(GgufValueType.STRING, v.merges())));
        }
        SpecialTokenIds s = v.special();
        putId(m, BOS, s.bos());
        putId(m, EOS, s.eos());
        putId(m, EOT, s.eot());
        putId(m, EOM, s.eom());
        putId(m, UNK, s.unk());
        putId(m, SEP, s.sep());
        putId(m, PAD, s.pad());
        putId(m, MASK, s.mask());
        m.put(ADD_BOS, GgufValue.ofBool(v.addBos()));
        m.put(ADD_EOS, GgufValue.ofBool(v.addEos()));
        if (v.model().equals("bert")) {
            m.put(ADD_SEP, GgufValue.ofBool(v.addSep()));
            m.put(LOWERCASE, GgufValue.ofBool(v.lowercase()));
            m.put(STRIP_ACCENTS, GgufValue.ofBool(v.stripAccents()));
        }
        m.put(ADD_SPACE_PREFIX, GgufValue.ofBool(v.addSpacePrefix()));
        return m;
    }

    private static void putId(Map<String, GgufValue> m, String key, int id) {
        if (id >= 0) {
            m.put(key, GgufValue.ofUInt32(id));
        }
    }

    private static int id(GgufMetadata md, String key, int defaultId, int vocabSize) {
        if (!md.contains(key)) {
            return defaultId;
        }
        long v = md.getLong(key);
        return v >= 0 && v < vocabSize ? (int) v : defaultId;
    }

    private static void requireLength(String key, int length, int tokens) {
        if (length < tokens) {
            throw new ModelFormatException("GGUF metadata key '" + key + "' has " + length + " entries for "
                    + tokens + " tokens");
        }
    }
}
