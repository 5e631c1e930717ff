package dev.infera.core.tokenizer;

import dev.infera.api.ModelFormatException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;

/**
 * Byte-level BPE (GGUF {@code tokenizer.ggml.model = gpt2}): GPT-2, Llama 3, Qwen 2, SmolLM, DBRX...
 *
 * <p>Pipeline for one fragment of plain text: optional NFC normalization; the pre-tokenizer splits it
 * into pieces; each piece's UTF-8 bytes start as one symbol per byte (or per character for
 * SentencePiece-style BPE vocabularies that are not byte-level) and adjacent symbols merge by the
 * lowest-ranked merge rule until none applies (ties: leftmost). With {@code ignoreMerges} a piece that
 * is itself a vocabulary entry is taken whole first. Symbols that are not tokens fall back to
 * {@code <0xXX>} byte tokens.
 *
 * <p>Short pieces (the common case) merge by a linear scan over cached pair ranks; long ones through
 * a min-heap of (rank, position) with lazy invalidation, so the worst case stays O(n log n).
 */
final class BpeTokenizer extends AbstractTokenizer {

    /** Options that do not live in the vocabulary itself. */
    record Options(PreTokenizer preTokenizer, boolean ignoreMerges, boolean nfc, boolean byteLevel, boolean escapeSpaces) {
    }

    private static final int LINEAR_MAX_SYMBOLS = 48;

    private final Options options;
    private final BytesIndex index;
    private final MergeTable merges;
    private final int[] byteSymbols;
    private final int[] byteFallback;
    private final PieceCache cache = new PieceCache();

    BpeTokenizer(Vocabulary vocab, Options options) {
        super(vocab, id -> options.byteLevel()
                ? renderByteLevel(vocab.text(id))
                : vocab.text(id).replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8));
        this.options = options;
        int n = vocab.size();
        byte[][] keys = new byte[n][];
        for (int id = 0; id < n; id++) {
            TokenType t = vocab.type(id);
            if (t != TokenType.CONTROL && t != TokenType.UNKNOWN && t != TokenType.BYTE) {
                keys[id] = options.byteLevel() ? ByteLevel.decode(vocab.text(id)) : vocab.text(id).getBytes(StandardCharsets.UTF_8);
            }
        }
        index = new BytesIndex(keys);
        merges = buildMergeTable(vocab);
        byteSymbols = new int[256];
        byteFallback = new int[256];
        for (int b = 0; b < 256; b++) {
            byteSymbols[b] = options.byteLevel() ? vocab.id(String.valueOf(ByteLevel.charOf(b))) : -1;
            int fallback = vocab.id(String.format("<0x%02X>", b));
            byteFallback[b] = fallback >= 0 ? fallback : options.byteLevel() ? byteSymbols[b] : vocab.special().unk();
        }
    }

    private static MergeTable buildMergeTable(Vocabulary vocab) {
        int count = vocab.mergeCount();
        MergeTable table = new MergeTable(count);
        String[] texts = new String[vocab.size()];
        for (int id = 0; id < texts.length; id++) {
            texts[id] = vocab.text(id);
        }
        TextIndex index = new TextIndex(texts);
        for (int rank = 0; rank < count; rank++) {
            String rule = vocab.merge(rank);
            int space = rule.indexOf(' ', 1);
            if (space < 0) {
                throw new ModelFormatException("BPE merge rule " + rank + " has no space between its parts: '" + rule + "'");
            }
            int leftId = index.find(rule, 0, space);
            int rightId = index.find(rule, space + 1, rule.length());
            int mergedId = index.find(rule, 0, space, space + 1, rule.length());
            if (leftId >= 0 && rightId >= 0 && mergedId >= 0) {
                table.put(leftId, rightId, rank, mergedId);
            }
        }
        return table;
    }

    private static byte[] renderByteLevel(String text) {
        byte[] raw = ByteLevel.decode(text);
        return raw != null ? raw : ByteLevel.decodeLenient(text);
    }

    @Override
    boolean stripsFirstSpace() {
        return options.escapeSpaces() && vocab.addSpacePrefix();
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        if (options.nfc() && !Normalizer.isNormalized(text, Normalizer.Form.NFC)) {
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
        }
        if (options.escapeSpaces()) {
            text = (vocab.addSpacePrefix() && afterSpecial ? " " + text : text).replace(' ', '\u2581');
        }
        IntList ends = options.preTokenizer().split(text);
        Scratch scratch = new Scratch();
        int from = 0;
        for (int i = 0; i < ends.size(); i++) {
            int to = ends.get(i);
            int len = scratch.encodeUtf8(text, from, to);
            encodePiece(scratch, len, out);
            from = to;
        }
    }

    private void encodePiece(Scratch s, int len, IntList out) {
        if (len > PieceCache.MAX_KEY_BYTES) {
            mergePiece(s, len, out);
            return;
        }
        int hash = PieceCache.hash(s.bytes, 0, len);
        int[] cached = cache.get(s.bytes, 0, len, hash);
        if (cached != null) {
            out.addAll(cached);
            return;
        }
        int mark = out.size();
        mergePiece(s, len, out);
        cache.put(s.bytes, 0, len, hash, out.tail(mark));
    }

    private void mergePiece(Scratch s, int len, IntList out) {
        byte[] buf = s.bytes;
        if (options.ignoreMerges()) {
            int whole = index.find(buf, 0, len);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        int count = s.initSymbols(len, options.byteLevel(), byteSymbols, index);
        if (count <= LINEAR_MAX_SYMBOLS) {
            count = mergeLinear(s, count);
            for (int i = 0; i < count; i++) {
                emit(s, s.ids[i], s.starts[i], i + 1 < count ? s.starts[i + 1] : len, out);
            }
        } else {
            mergeWithHeap(s, count);
            for (int i = 0; i != -1; i = s.next[i]) {
                emit(s, s.ids[i], s.starts[i], s.next[i] >= 0 ? s.starts[s.next[i]] : len, out);
            }
        }
    }

    private void emit(Scratch s, int id, int from, int to, IntList out) {
        if (id >= 0) {
            out.add(id);
            return;
        }
        for (int k = from; k < to; k++) {
            int fallback = byteFallback[s.bytes[k] & 0xFF];
            if (fallback >= 0) {
                out.add(fallback);
            }
        }
    }

    /** Merges symbols {@code ids[0, count)} in place; returns the new count. */
    private int mergeLinear(Scratch s, int count) {
        int[] ids = s.ids;
        int[] starts = s.starts;
        long[] pair = s.pairs;
        for (int i = 0; i + 1 < count; i++) {
            pair[i] = merges.get(ids[i], ids[i + 1]);
        }
        while (count > 1) {
            long best = Long.MAX_VALUE;
            int at = -1;
            for (int i = 0; i + 1 < count; i++) {
                long p = pair[i];
                if (p != MergeTable.NONE && p < best) {
                    best = p;
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            ids[at] = (int) best;
            int tail = count - at - 2;
            System.arraycopy(ids, at + 2, ids, at + 1, tail);
            System.arraycopy(starts, at + 2, starts, at + 1, tail);
            System.arraycopy(pair, at + 2, pair, at + 1, Math.max(0, tail - 1));
            count--;
            if (at > 0) {
                pair[at - 1] = merges.get(ids[at - 1], ids[at]);
            }
            if (at + 1 < count) {
                pair[at] = merges.get(ids[at], ids[at + 1]);
            }
        }
        return count;
    }

    private void mergeWithHeap(Scratch s, int count) {
        int[] ids = s.ids;
        int[] prev = s.prev;
        int[] next = s.next;
        boolean[] dead = s.dead;
        LongMinHeap heap = s.heap;
        heap.clear();
        for (int i = 0; i < count; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
            dead[i] = false;
        }
        for (int i = 0; i + 1 < count; i++) {
            queuePair(ids, i, i + 1, heap);
        }
        while (!heap.isEmpty()) {
            long key = heap.topKey();
            long payload = heap.topPayload();
            heap.pop();
            int left = (int) key;
            int right = (int) (payload >>> 32);
            int rightId = (int) payload;
            if (dead[left] || dead[right] || next[left] != right || ids[right] != rightId) {
                continue;
            }
            ids[left] = (int) merges.get(ids[left], rightId);
            dead[right] = true;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                queuePair(ids, prev[left], left, heap);
            }
            if (next[left] >= 0) {
                queuePair(ids, left, next[left], heap);
            }
        }
    }

    private void queuePair(int[] ids, int left, int right, LongMinHeap heap) {
        long rule = merges.get(ids[left], ids[right]);
        if (rule != MergeTable.NONE) {
            heap.push((rule & 0xFFFFFFFF00000000L) | left, ((long) right << 32) | (ids[right] & 0xFFFFFFFFL));
        }
    }

    /** Per-call working arrays, grown as needed. */
    private static final class Scratch {
        byte[] bytes = new byte[64];
        int[] ids = new int[64];
        int[] starts = new int[64];
        long[] pairs = new long[64];
        int[] prev = new int[0];
        int[] next = new int[0];
        boolean[] dead = new boolean[0];
        final LongMinHeap heap = new LongMinHeap();

        /** Writes text[from, to) as UTF-8 into {@link #bytes} (lone surrogates as U+FFFD); returns the length. */
        int encodeUtf8(String text, int from, int to) {
            int max = (to - from) * 3;
            if (bytes.length < max) {
                bytes = new byte[Math.max(max, bytes.length * 2)];
            }
            byte[] b = bytes;
            int n = 0;
            for (int i = from; i < to; i++) {
                char c = text.charAt(i);
                if (c < 0x80) {
                    b[n++] = (byte) c;
                } else if (c < 0x800) {
                    b[n++] = (byte) (0xC0 | (c >> 6));
                    b[n++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, text.charAt(++i));
                    b[n++] = (byte) (0xF0 | (cp >> 18));
                    b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    b[n++] = (byte) (0x80 | (cp & 0x3F));
                } else {
                    if (Character.isSurrogate(c)) {
                        c = '\uFFFD';
                    }
                    b[n++] = (byte) (0xE0 | (c >> 12));
                    b[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    b[n++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            return n;
        }

        /** One symbol per byte (byte-level) or per UTF-8 character; returns the symbol count. */
        int initSymbols(int len, boolean byteLevel, int[] byteSymbols, BytesIndex index) {
            if (ids.length < len) {
                int cap = Math.max(len, ids.length * 2);
                ids = new int[cap];
                starts = new int[cap];
                pairs = new long[cap];
            }
            int count = 0;
            if (byteLevel) {
                for (int i = 0; i < len; i++) {
                    ids[i] = byteSymbols[bytes[i] & 0xFF];
                    starts[i] = i;
                }
                count = len;
            } else {
                for (int at = 0; at < len; ) {
                    int n = Math.min(SpmTokenizer.utf8Length(bytes[at]), len - at);
                    ids[count] = index.find(bytes, at, at + n);
                    starts[count++] = at;
                    at += n;
                }
            }
            if (count > LINEAR_MAX_SYMBOLS && prev.length < count) {
                prev = new int[count];
                next = new int[count];
                dead = new boolean[count];
            }
            return count;
        }
    }
}
