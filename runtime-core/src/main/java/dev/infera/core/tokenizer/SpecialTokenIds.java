package dev.infera.core.tokenizer;

/**
 * The ids of a vocabulary's special tokens; -1 where the vocabulary has none. {@code bos} is also the
 * classifier token of BERT-style vocabularies, {@code sep} their separator.
 */
public record SpecialTokenIds(int bos, int eos, int eot, int eom, int unk, int sep, int pad, int mask) {

    public static final SpecialTokenIds NONE = new SpecialTokenIds(-1, -1, -1, -1, -1, -1, -1, -1);

    public SpecialTokenIds withBos(int id) {
        return new SpecialTokenIds(id, eos, eot, eom, unk, sep, pad, mask);
    }

    public SpecialTokenIds withEos(int id) {
        return new SpecialTokenIds(bos, id, eot, eom, unk, sep, pad, mask);
    }

    public SpecialTokenIds withEot(int id) {
        return new SpecialTokenIds(bos, eos, id, eom, unk, sep, pad, mask);
    }

    public SpecialTokenIds withEom(int id) {
        return new SpecialTokenIds(bos, eos, eot, id, unk, sep, pad, mask);
    }

    public SpecialTokenIds withUnk(int id) {
        return new SpecialTokenIds(bos, eos, eot, eom, id, sep, pad, mask);
    }

    public SpecialTokenIds withSep(int id) {
        return new SpecialTokenIds(bos, eos, eot, eom, unk, id, pad, mask);
    }

    public SpecialTokenIds withPad(int id) {
        return new SpecialTokenIds(bos, eos, eot, eom, unk, sep, id, mask);
    }

    public SpecialTokenIds withMask(int id) {
        return new SpecialTokenIds(bos, eos, eot, eom, unk, sep, pad, id);
    }
}
