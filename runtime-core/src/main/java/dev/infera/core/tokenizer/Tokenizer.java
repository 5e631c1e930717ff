package dev.infera.core.tokenizer;

/**
 * Turns text into token ids and back. Implementations are immutable and safe to share between threads.
 *
 * <p>{@code encode(text, addSpecial, parseSpecial)}: {@code addSpecial} adds what the vocabulary asks
 * for around the text (BOS, EOS, BERT's separator); {@code parseSpecial} lets control tokens written in
 * the text (such as {@code <|im_start|>}) become their ids instead of being spelled out. User-defined
 * tokens are always matched literally.
 *
 * <p>Decoding renders each token as bytes and joins them as UTF-8 (malformed sequences become U+FFFD).
 * Control and unknown tokens render as nothing unless asked for. Where the vocabulary adds a space
 * prefix when encoding (SentencePiece style), decoding removes it again from the first text-bearing
 * token, so {@code decode(encode(x)) == x} for every text a lossless tokenizer can represent.
 */
public interface Tokenizer {

    /** Token ids of a text. */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** Token ids of a text with the vocabulary's special tokens added and special-token parsing off. */
    default int[] encode(String text) {
        return encode(text, true, false);
    }

    /** The text of a sequence of ids; control and unknown tokens are left out. */
    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /** The text of a sequence of ids; with {@code renderSpecial}, control tokens appear as their text. */
    String decode(int[] ids, boolean renderSpecial);

    /** A new incremental decoder that never splits a UTF-8 character across its outputs. */
    default StreamingDetokenizer newDetokenizer() {
        return newDetokenizer(false);
    }

    StreamingDetokenizer newDetokenizer(boolean renderSpecial);

    /** The bytes a token contributes to decoded text (control tokens: their text). */
    byte[] tokenBytes(int id);

    /** The token as the vocabulary spells it (e.g. {@code Ġhello}, {@code ▁hello}, {@code <0x0A>}). */
    default String tokenText(int id) {
        return vocabulary().text(id);
    }

    /** The data this tokenizer was built from; export it to GGUF with {@link TokenizerGguf}. */
    Vocabulary vocabulary();

    default int vocabSize() {
        return vocabulary().size();
    }

    /** Beginning-of-sequence id, or -1. */
    default int bosId() {
        return vocabulary().special().bos();
    }

    /** End-of-sequence id, or -1. */
    default int eosId() {
        return vocabulary().special().eos();
    }

    /** Whether a token ends generation (EOS, end of turn, end of message...). */
    default boolean isEog(int id) {
        return vocabulary().isEog(id);
    }

    /** Ids that end generation, ascending. */
    default int[] eogIds() {
        return vocabulary().eogIds();
    }

    /** Whether {@code encode(text)} puts BOS first. */
    default boolean addBos() {
        return vocabulary().addBos();
    }

    /** Whether {@code encode(text)} puts EOS last. */
    default boolean addEos() {
        return vocabulary().addEos();
    }
}
