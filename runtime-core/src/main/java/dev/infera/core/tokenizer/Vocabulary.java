package dev.infera.core.tokenizer;

import dev.infera.api.ModelFormatException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Everything a tokenizer is made of, in the shape GGUF's {@code tokenizer.ggml.*} keys store it: the
 * model kind ({@code llama} = SentencePiece-style, {@code gpt2} = byte-level BPE, {@code bert} =
 * WordPiece), the pre-tokenizer name, token texts, types and scores, BPE merges, special token ids and
 * the add-BOS/EOS flags. Every loader produces one; the GGUF export writes one; the tokenizer classes
 * are built from one. Immutable once built.
 *
 * <p>Building normalizes the data the way GGUF vocabularies are meant to be read:
 * empty texts become {@code [EMPTY_<id>]}, special ids outside the vocabulary are dropped, a missing
 * end-of-turn token is found by its text, and tokens that end generation (EOS, EOT, EOM and texts such
 * as {@code <|im_end|>}) are typed CONTROL. Duplicate texts are an error.
 */
public final class Vocabulary {

    /** Per-token flag: strip whitespace to the left of this token when it is split out of the input. */
    static final byte LSTRIP = 1;
    /** Per-token flag: strip whitespace to the right of this token when it is split out of the input. */
    static final byte RSTRIP = 2;

    private static final Set<String> EOT_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>", "<end_of_utterance>");
    private static final Set<String> EOG_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>");

    private final String model;
    private final String pre;
    private final String[] texts;
    private final TokenType[] types;
    private final float[] scores;
    private final String[] merges;
    private final SpecialTokenIds special;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSep;
    private final boolean addSpacePrefix;
    private final boolean lowercase;
    private final boolean stripAccents;
    private final byte[] stripFlags;
    private final int[] eogIds;
    private final Map<String, Integer> idsByText;

    private Vocabulary(Builder b) {
        int n = b.texts.length;
        if (n == 0) {
            throw new ModelFormatException("tokenizer vocabulary is empty");
        }
        if (b.types.length != n) {
            throw new ModelFormatException("tokenizer has " + n + " tokens but " + b.types.length + " token types");
        }
        if (b.scores != null && b.scores.length != n) {
            throw new ModelFormatException("tokenizer has " + n + " tokens but " + b.scores.length + " scores");
        }
        this.model = b.model;
        this.pre = b.pre;
        this.texts = b.texts.clone();
        this.types = b.types.clone();
        this.scores = b.scores == null ? null : b.scores.clone();
        this.merges = b.merges == null ? null : b.merges.clone();
        this.addBos = b.addBos;
        this.addEos = b.addEos;
        this.addSep = b.addSep;
        this.addSpacePrefix = b.addSpacePrefix;
        this.lowercase = b.lowercase;
        this.stripAccents = b.stripAccents;
        this.stripFlags = b.stripFlags == null ? new byte[n] : Arrays.copyOf(b.stripFlags, n);
        this.idsByText = new HashMap<>(n * 2);
        for (int id = 0; id < n; id++) {
            if (texts[id] == null || texts[id].isEmpty()) {
                texts[id] = "[EMPTY_" + id + "]";
            }
            if (types[id] == null) {
                types[id] = TokenType.NORMAL;
            }
            Integer previous = idsByText.putIfAbsent(texts[id], id);
            if (previous != null) {
                throw new ModelFormatException("duplicate token in vocabulary: '" + texts[id] + "' has ids "
                        + previous + " and " + id);
            }
        }
        SpecialTokenIds s = b.special;
        s = new SpecialTokenIds(inRange(s.bos()), inRange(s.eos()), inRange(s.eot()), inRange(s.eom()),
                inRange(s.unk()), inRange(s.sep()), inRange(s.pad()), inRange(s.mask()));
        if (s.eot() < 0) {
            s = s.withEot(firstWithText(EOT_TEXTS));
            forceControl(s.eot());
        }
        if (s.eom() < 0) {
            s = s.withEom(firstWithText(Set.of("<|eom_id|>")));
            forceControl(s.eom());
        }
        this.special = s;
        TreeSet<Integer> eog = new TreeSet<>();
        for (int id = 0; id < n; id++) {
            if (EOG_TEXTS.contains(texts[id])) {
                eog.add(id);
                forceControl(id);
            }
        }
        for (int id : new int[] {s.eos(), s.eot(), s.eom()}) {
            if (id >= 0) {
                eog.add(id);
            }
        }
        this.eogIds = eog.stream().mapToInt(Integer::intValue).toArray();
    }

    private void forceControl(int id) {
        if (id >= 0) {
            types[id] = TokenType.CONTROL;
        }
    }

    private int inRange(int id) {
        return id >= 0 && id < texts.length ? id : -1;
    }

    private int firstWithText(Set<String> candidates) {
        for (int id = 0; id < texts.length; id++) {
            if (candidates.contains(texts[id])) {
                return id;
            }
        }
        return -1;
    }

    public static Builder builder(String model, String[] texts, TokenType[] types) {
        return new Builder(model, texts, types);
    }

    /** A builder preloaded with everything in this vocabulary, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder(model, texts, types).pre(pre).scores(scores).merges(merges).special(special)
                .addBos(addBos).addEos(addEos).addSep(addSep).addSpacePrefix(addSpacePrefix)
                .lowercase(lowercase).stripAccents(stripAccents);
        b.stripFlags = stripFlags.clone();
        return b;
    }

    /** {@code llama}, {@code gpt2} or {@code bert}: the GGUF {@code tokenizer.ggml.model} value. */
    public String model() {
        return model;
    }

    /** The pre-tokenizer name (GGUF {@code tokenizer.ggml.pre}), or null when the source named none. */
    public String pre() {
        return pre;
    }

    public int size() {
        return texts.length;
    }

    /** The token text as the vocabulary stores it (byte-level form for BPE, with U+2581 for SPM). */
    public String text(int id) {
        return texts[id];
    }

    public TokenType type(int id) {
        return types[id];
    }

    /** The token's score (SentencePiece log probability), 0 when the vocabulary has no scores. */
    public float score(int id) {
        return scores == null ? 0f : scores[id];
    }

    public boolean hasScores() {
        return scores != null;
    }

    /** The id of a token text, or -1. */
    public int id(String text) {
        Integer id = idsByText.get(text);
        return id == null ? -1 : id;
    }

    /** BPE merge rules ("left right", first = highest priority), or null when the source had none. */
    public String[] merges() {
        return merges == null ? null : merges.clone();
    }

    int mergeCount() {
        return merges == null ? 0 : merges.length;
    }

    String merge(int i) {
        return merges[i];
    }

    public SpecialTokenIds special() {
        return special;
    }

    public boolean addBos() {
        return addBos;
    }

    public boolean addEos() {
        return addEos;
    }

    /** Whether BERT-style encoding appends the separator token. */
    public boolean addSep() {
        return addSep;
    }

    /** Whether SentencePiece-style encoding puts a space before the text (and decoding removes it). */
    public boolean addSpacePrefix() {
        return addSpacePrefix;
    }

    /** WordPiece normalization: lowercase the text first (BERT uncased). */
    public boolean lowercase() {
        return lowercase;
    }

    /** WordPiece normalization: remove accents (NFD, then drop nonspacing marks). */
    public boolean stripAccents() {
        return stripAccents;
    }

    byte stripFlags(int id) {
        return stripFlags[id];
    }

    /** Ids that end generation (EOS, end of turn, end of message and the like), ascending. */
    public int[] eogIds() {
        return eogIds.clone();
    }

    public boolean isEog(int id) {
        return Arrays.binarySearch(eogIds, id) >= 0;
    }

    /** Mutable builder; {@link #build()} validates and normalizes. */
    public static final class Builder {
        private final String model;
        private final String[] texts;
        private final TokenType[] types;
        private String pre;
        private float[] scores;
        private String[] merges;
        private SpecialTokenIds special = SpecialTokenIds.NONE;
        private boolean addBos;
        private boolean addEos;
        private boolean addSep;
        private boolean addSpacePrefix;
        private boolean lowercase = true;
        private boolean stripAccents = true;
        private byte[] stripFlags;

        private Builder(String model, String[] texts, TokenType[] types) {
            this.model = model;
            this.texts = texts;
            this.types = types;
        }

        public Builder pre(String name) {
            this.pre = name;
            return this;
        }

        public Builder scores(float[] scores) {
            this.scores = scores;
            return this;
        }

        public Builder merges(String[] merges) {
            this.merges = merges;
            return this;
        }

        public Builder special(SpecialTokenIds ids) {
            this.special = ids;
            return this;
        }

        public Builder addBos(boolean v) {
            this.addBos = v;
            return this;
        }

        public Builder addEos(boolean v) {
            this.addEos = v;
            return this;
        }

        public Builder addSep(boolean v) {
            this.addSep = v;
            return this;
        }

        public Builder addSpacePrefix(boolean v) {
            this.addSpacePrefix = v;
            return this;
        }

        public Builder lowercase(boolean v) {
            this.lowercase = v;
            return this;
        }

        public Builder stripAccents(boolean v) {
            this.stripAccents = v;
            return this;
        }

        /** Marks a token to swallow whitespace on its left and/or right when split out of the input. */
        public Builder strip(int id, boolean left, boolean right) {
            if (stripFlags == null) {
                stripFlags = new byte[texts.length];
            }
            stripFlags[id] = (byte) ((left ? LSTRIP : 0) | (right ? RSTRIP : 0));
            return this;
        }

        public Vocabulary build() {
            return new Vocabulary(this);
        }
    }
}
