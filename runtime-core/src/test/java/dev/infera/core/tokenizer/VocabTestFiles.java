package dev.infera.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The reference tokenizer test files: {@code .inp} holds test strings joined by
 * {@code "\n__ggml_vocab_test__\n"} (the file also ends with that separator), {@code .out} one line of
 * space-separated expected ids per string.
 */
final class VocabTestFiles {

    static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    private VocabTestFiles() {
    }

    static List<String> cases(Path inp) throws IOException {
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> cases = new ArrayList<>(Arrays.asList(all.split(SEPARATOR, -1)));
        if (all.endsWith(SEPARATOR)) {
            cases.remove(cases.size() - 1);
        }
        return cases;
    }

    static List<int[]> expected(Path out) throws IOException {
        List<int[]> result = new ArrayList<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            String t = line.trim();
            result.add(t.isEmpty() ? new int[0] : Arrays.stream(t.split(" +")).mapToInt(Integer::parseInt).toArray());
        }
        return result;
    }

    /**
     * Encodes every case (no special tokens added, special parsing off), prints the pass count and
     * asserts that all match.
     */
    static void assertConforms(String label, Tokenizer tokenizer, Path inp, Path out) throws IOException {
        List<String> cases = cases(inp);
        List<int[]> expected = expected(out);
        assertThat(expected).as("%s: one .out line per .inp case", label).hasSize(cases.size());
        int passed = 0;
        StringBuilder failures = new StringBuilder();
        for (int i = 0; i < cases.size(); i++) {
            int[] got = tokenizer.encode(cases.get(i), false, false);
            if (Arrays.equals(got, expected.get(i))) {
                passed++;
            } else {
                failures.append(String.format("%n  case %d %s%n    expected %s%n    got      %s", i,
                        escape(cases.get(i)), Arrays.toString(expected.get(i)), Arrays.toString(got)));
            }
        }
        System.out.printf("conformance %-28s %d/%d%n", label, passed, cases.size());
        assertThat(passed).as("%s: cases matching the reference ids:%s", label, failures).isEqualTo(cases.size());
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 120; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> sb.append(c);
            }
        }
        return sb.append(s.length() > 120 ? "...\"" : "\"").toString();
    }
}
