package dev.infera.core.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * SentencePiece-style tokenizer (GGUF {@code tokenizer.ggml.model = llama}): Llama 1/2, Mistral v0.1,
 * Phi-3, TinyLlama, the llama2.c vocabularies.
 *
 * <p>Algorithm: spaces become U+2581 ({@code ▁}); with {@code add_space_prefix} a space is put in
 * front of the text (at the start and after every special token). The text starts as one symbol per
 * UTF-8 character. Repeatedly the adjacent pair whose concatenation is a vocabulary entry with the
 * highest score is merged (ties: leftmost pair). Symbols left that are not tokens fall back to one
 * {@code <0xXX>} byte token per byte. A max-heap of candidate pairs keyed by (score, position) with
 * lazy invalidation keeps this O(n log n) in the number of characters.
 *
 * <p>Only normal, user-defined and unused entries can be formed from text; control, unknown and byte
 * tokens never are.
 */
final class SpmTokenizer extends AbstractTokenizer {

    private static final byte[] ESCAPED_SPACE = "\u2581".getBytes(StandardCharsets.UTF_8);

    private final BytesIndex index;
    private final float[] scores;
    private final int[] byteTokens;
    private final boolean chunkAtWordStarts;
    private final PieceCache cache = new PieceCache();

    private static final int LINEAR_MAX_SYMBOLS = 48;

    SpmTokenizer(Vocabulary vocab) {
        super(vocab, id -> vocab.text(id).replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8));
        int n = vocab.size();
        byte[][] keys = new byte[n][];
        scores = new float[n];
        for (int id = 0; id < n; id++) {
            TokenType t = vocab.type(id);
            if (t == TokenType.NORMAL || t == TokenType.USER_DEFINED || t == TokenType.UNUSED || t == TokenType.UNDEFINED) {
                keys[id] = vocab.text(id).getBytes(StandardCharsets.UTF_8);
            }
            scores[id] = vocab.score(id);
        }
        index = new BytesIndex(keys);
        boolean chunk = true;
        for (int id = 0; id < n && chunk; id++) {
            if (keys[id] != null) {
                String t = vocab.text(id);
                for (int i = t.indexOf('\u2581', 1); i > 0 && chunk; i = t.indexOf('\u2581', i + 1)) {
                    chunk = t.charAt(i - 1) == '\u2581';
                }
            }
        }
        chunkAtWordStarts = chunk;
        byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) {
                id = vocab.id(String.valueOf((char) b));
            }
            byteTokens[b] = id >= 0 ? id : vocab.special().unk();
        }
    }

    @Override
    boolean stripsFirstSpace() {
        return vocab.addSpacePrefix();
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        boolean prefix = vocab.addSpacePrefix() && afterSpecial;
        int spaces = 0;
        for (byte b : raw) {
            if (b == ' ') {
                spaces++;
            }
        }
        byte[] buf = new byte[raw.length + spaces * 2 + (prefix ? 3 : 0)];
        int len = 0;
        if (prefix) {
            System.arraycopy(ESCAPED_SPACE, 0, buf, 0, 3);
            len = 3;
        }
        for (byte b : raw) {
            if (b == ' ') {
                System.arraycopy(ESCAPED_SPACE, 0, buf, len, 3);
                len += 3;
            } else {
                buf[len++] = b;
            }
        }
        mergeChunks(buf, len, out);
    }

    /**
     * Merges each chunk of the escaped text separately. When no vocabulary entry has a U+2581 right
     * after another character, no merge can cross the start of a word, so the text is cut before every
     * U+2581 that follows something else; the result is the same and each chunk is short.
     */
    private void mergeChunks(byte[] buf, int len, IntList out) {
        Symbols symbols = new Symbols(len);
        if (!chunkAtWordStarts) {
            merge(buf, 0, len, symbols, out);
            return;
        }
        int from = 0;
        for (int p = 3; p + 3 <= len; p++) {
            if (isEscapedSpace(buf, p) && !isEscapedSpace(buf, p - 3)) {
                merge(buf, from, p, symbols, out);
                from = p;
            }
        }
        merge(buf, from, len, symbols, out);
    }

    /** Working arrays for one call, big enough for the whole text, reused by every chunk. */
    private static final class Symbols {
        final int[] start;
        final int[] length;
        final int[] pair;

        Symbols(int capacity) {
            start = new int[capacity];
            length = new int[capacity];
            pair = new int[capacity];
        }
    }

    private static boolean isEscapedSpace(byte[] buf, int at) {
        return buf[at] == ESCAPED_SPACE[0] && buf[at + 1] == ESCAPED_SPACE[1] && buf[at + 2] == ESCAPED_SPACE[2];
    }

    private void merge(byte[] buf, int from, int to, Symbols symbols, IntList out) {
        if (from >= to) {
            return;
        }
        if (to - from > PieceCache.MAX_KEY_BYTES) {
            mergeUncached(buf, from, to, symbols, out);
            return;
        }
        int hash = PieceCache.hash(buf, from, to);
        int[] cached = cache.get(buf, from, to, hash);
        if (cached != null) {
            out.addAll(cached);
            return;
        }
        int mark = out.size();
        mergeUncached(buf, from, to, symbols, out);
        cache.put(buf, from, to, hash, out.tail(mark));
    }

    private void mergeUncached(byte[] buf, int from, int to, Symbols symbols, IntList out) {
        int[] start = symbols.start;
        int[] length = symbols.length;
        int count = 0;
        for (int at = from; at < to; ) {
            int n = Math.min(utf8Length(buf[at]), to - at);
            start[count] = at;
            length[count++] = n;
            at += n;
        }
        if (count <= LINEAR_MAX_SYMBOLS) {
            count = mergeLinear(buf, start, length, symbols.pair, count);
            for (int i = 0; i < count; i++) {
                emit(buf, start[i], length[i], out);
            }
            return;
        }
        int[] prev = new int[count];
        int[] next = new int[count];
        for (int i = 0; i < count; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }
        LongMinHeap heap = new LongMinHeap();
        for (int i = 1; i < count; i++) {
            tryAddPair(buf, start, length, i - 1, i, heap);
        }
        while (!heap.isEmpty()) {
            int left = (int) heap.topKey();
            long payload = heap.topPayload();
            heap.pop();
            int right = (int) (payload >>> 32);
            int rightLength = (int) payload;
            if (length[left] == 0 || length[right] == 0 || next[left] != right || length[right] != rightLength) {
                continue; // stale: one side has changed since this pair was queued
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                tryAddPair(buf, start, length, prev[left], left, heap);
            }
            if (next[left] >= 0) {
                tryAddPair(buf, start, length, left, next[left], heap);
            }
        }
        for (int i = 0; i != -1; i = next[i]) {
            emit(buf, start[i], length[i], out);
        }
    }

    /** Highest-score-first merging by repeated scans; for short chunks. Returns the new symbol count. */
    private int mergeLinear(byte[] buf, int[] start, int[] length, int[] pair, int count) {
        for (int i = 0; i + 1 < count; i++) {
            pair[i] = index.find(buf, start[i], start[i + 1] + length[i + 1]);
        }
        while (count > 1) {
            int at = -1;
            float best = 0;
            for (int i = 0; i + 1 < count; i++) {
                int id = pair[i];
                if (id >= 0 && (at < 0 || scores[id] > best)) {
                    best = scores[id];
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            length[at] += length[at + 1];
            int tail = count - at - 2;
            System.arraycopy(start, at + 2, start, at + 1, tail);
            System.arraycopy(length, at + 2, length, at + 1, tail);
            System.arraycopy(pair, at + 2, pair, at + 1, Math.max(0, tail - 1));
            count--;
            if (at > 0) {
                pair[at - 1] = index.find(buf, start[at - 1], start[at] + length[at]);
            }
            if (at + 1 < count) {
                pair[at] = index.find(buf, start[at], start[at + 1] + length[at + 1]);
            }
        }
        return count;
    }

    private void emit(byte[] buf, int from, int length, IntList out) {
        int id = index.find(buf, from, from + length);
        if (id >= 0) {
            out.add(id);
            return;
        }
        for (int k = from; k < from + length; k++) {
            int byteId = byteTokens[buf[k] & 0xFF];
            if (byteId >= 0) {
                out.add(byteId);
            }
        }
    }

    private void tryAddPair(byte[] buf, int[] start, int[] length, int left, int right, LongMinHeap heap) {
        int id = index.find(buf, start[left], start[left] + length[left] + length[right]);
        if (id < 0) {
            return;
        }
        // Max score first, then leftmost: order by the negated sortable score bits, then position.
        int bits = Float.floatToIntBits(scores[id]);
        int sortable = bits ^ ((bits >> 31) & 0x7FFFFFFF);
        long key = ((long) ~sortable << 32) | left;
        heap.push(key, ((long) right << 32) | length[right]);
    }

    static int utf8Length(byte lead) {
        int b = lead & 0xFF;
        if (b < 0xC0) {
            return 1;
        }
        if (b < 0xE0) {
            return 2;
        }
        return b < 0xF0 ? 3 : 4;
    }
}
