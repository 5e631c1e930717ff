package dev.infera.core.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.IntFunction;

/**
 * What all tokenizer kinds share: splitting special tokens out of the input, adding BOS/EOS/SEP,
 * rendering tokens to bytes for decoding, and the decode loop. A subclass supplies the algorithm for
 * one plain-text fragment and how a normal token renders.
 */
abstract class AbstractTokenizer implements Tokenizer {

    protected final Vocabulary vocab;
    private final SpecialTokenSplitter splitter;
    private final byte[][] renderedBytes;
    private final boolean[] hiddenUnlessSpecial;
    private final boolean[] stripsLeadingSpace;

    /**
     * @param renderNormal the decoded bytes of each NORMAL token (it may not touch subclass fields,
     *                     which are not yet set when this constructor runs)
     */
    AbstractTokenizer(Vocabulary vocab, IntFunction<byte[]> renderNormal) {
        this.vocab = vocab;
        this.splitter = new SpecialTokenSplitter(vocab);
        int n = vocab.size();
        this.renderedBytes = new byte[n][];
        this.hiddenUnlessSpecial = new boolean[n];
        this.stripsLeadingSpace = new boolean[n];
        for (int id = 0; id < n; id++) {
            TokenType type = vocab.type(id);
            switch (type) {
                case CONTROL, UNKNOWN, USER_DEFINED -> renderedBytes[id] = vocab.text(id).getBytes(StandardCharsets.UTF_8);
                case NORMAL -> renderedBytes[id] = renderNormal.apply(id);
                case BYTE -> renderedBytes[id] = renderByte(id);
                default -> renderedBytes[id] = new byte[0];
            }
            hiddenUnlessSpecial[id] = type == TokenType.CONTROL || type == TokenType.UNKNOWN;
            stripsLeadingSpace[id] = type == TokenType.NORMAL;
        }
    }

    /** Whether decoding removes one leading space from the first text-bearing token. */
    abstract boolean stripsFirstSpace();

    /** Encodes one fragment of plain text; {@code afterSpecial} is true at the start and after a special token. */
    abstract void encodeText(String text, boolean afterSpecial, IntList out);

    private byte[] renderByte(int id) {
        String t = vocab.text(id);
        if (t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
            int hi = Character.digit(t.charAt(3), 16);
            int lo = Character.digit(t.charAt(4), 16);
            if (hi >= 0 && lo >= 0) {
                return new byte[] {(byte) (hi * 16 + lo)};
            }
        }
        return t.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Vocabulary vocabulary() {
        return vocab;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        if (text == null) {
            throw new IllegalArgumentException("text to encode must not be null");
        }
        IntList out = new IntList(text.length() / 3 + 4);
        SpecialTokenIds special = vocab.special();
        if (addSpecial && vocab.addBos() && special.bos() >= 0) {
            out.add(special.bos());
        }
        List<SpecialTokenSplitter.Fragment> fragments = splitter.split(text, parseSpecial);
        boolean afterSpecial = true;
        for (SpecialTokenSplitter.Fragment f : fragments) {
            if (f.isText()) {
                encodeText(text.substring(f.start(), f.end()), afterSpecial, out);
                afterSpecial = false;
            } else {
                out.add(f.tokenId());
                afterSpecial = true;
            }
        }
        if (addSpecial && vocab.addEos() && special.eos() >= 0) {
            out.add(special.eos());
        }
        if (addSpecial && vocab.addSep() && special.sep() >= 0) {
            out.add(special.sep());
        }
        return out.toArray();
    }

    @Override
    public byte[] tokenBytes(int id) {
        checkId(id);
        return renderedBytes[id].clone();
    }

    @Override
    public String decode(int[] ids, boolean renderSpecial) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        boolean stripPending = stripsFirstSpace();
        for (int id : ids) {
            checkId(id);
            if (hiddenUnlessSpecial[id] && !renderSpecial) {
                continue;
            }
            byte[] piece = renderedBytes[id];
            int from = 0;
            if (stripPending && piece.length > 0) {
                if (stripsLeadingSpace[id] && piece[0] == ' ') {
                    from = 1;
                }
                stripPending = false;
            }
            bytes.write(piece, from, piece.length - from);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public StreamingDetokenizer newDetokenizer(boolean renderSpecial) {
        return new StreamingDetokenizer(renderedBytes, hiddenUnlessSpecial, stripsLeadingSpace,
                stripsFirstSpace(), renderSpecial);
    }

    void checkId(int id) {
        if (id < 0 || id >= renderedBytes.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (size "
                    + renderedBytes.length + ")");
        }
    }
}
