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
        int spaces = prefix ? 1 : 0;
        for (byte b : raw) {
            if (b == ' ') {
                spaces++;
            }
        }
        byte[] buf = new byte[raw.length + spaces * 2];
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
        merge(buf, len, out);
    }

    private void merge(byte[] buf, int len, IntList out) {
        if (len == 0) {
            return;
        }
        // Symbols: one per UTF-8 character, as a linked list over byte spans.
        int[] start = new int[len];
        int[] length = new int[len];
        int[] prev = new int[len];
        int[] next = new int[len];
        int count = 0;
        for (int at = 0; at < len; ) {
            int n = Math.min(utf8Length(buf[at]), len - at);
            start[count] = at;
            length[count] = n;
            prev[count] = count - 1;
            next[count] = at + n < len ? count + 1 : -1;
            count++;
            at += n;
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
            int id = index.find(buf, start[i], start[i] + length[i]);
            if (id >= 0) {
                out.add(id);
            } else {
                for (int k = start[i]; k < start[i] + length[i]; k++) {
                    int byteId = byteTokens[buf[k] & 0xFF];
                    if (byteId >= 0) {
                        out.add(byteId);
                    }
                }
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
