package dev.infera.core.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Derives BPE merge rules from a vocabulary whose order is its merge priority (tiktoken files, and
 * GGUF files that carry no merges). In such vocabularies two adjacent symbols merge when their
 * concatenation is a token, the token with the lowest id first. Listing, for every token, each split
 * into two tokens, ordered by the token's id (then by the ids of the two parts), gives merge rules that
 * make rank-based BPE behave the same, and lets the vocabulary be written to GGUF like any other.
 */
final class MergeDerivation {

    private MergeDerivation() {
    }

    /** Merge rules ("left right" in byte-level text form) for byte-level tokens whose id is their rank. */
    static String[] fromTokenRanks(String[] tokens, TokenType[] types) {
        int n = tokens.length;
        byte[][] raw = new byte[n][];
        for (int id = 0; id < n; id++) {
            if (types[id] == TokenType.NORMAL) {
                raw[id] = ByteLevel.decode(tokens[id]);
            }
        }
        BytesIndex index = new BytesIndex(raw);
        List<String> merges = new ArrayList<>(n * 3);
        List<long[]> splits = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            byte[] bytes = raw[id];
            if (bytes == null || bytes.length < 2) {
                continue;
            }
            splits.clear();
            for (int k = 1; k < bytes.length; k++) {
                int left = index.find(bytes, 0, k);
                int right = left < 0 ? -1 : index.find(bytes, k, bytes.length);
                if (left >= 0 && right >= 0) {
                    splits.add(new long[] {left, right});
                }
            }
            splits.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
            for (long[] s : splits) {
                merges.add(tokens[(int) s[0]] + " " + tokens[(int) s[1]]);
            }
        }
        return merges.toArray(String[]::new);
    }
}
