package dev.infera.core.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into pre-tokens by a list of steps applied in order. Each step looks at every piece the
 * previous steps produced on its own (a lookahead cannot see past the end of a piece) and splits it at
 * its matches, keeping the matches and the text between them as separate pieces, so no character is
 * ever dropped. Zero-width matches only mark a split point.
 *
 * <p>A step is a regex (see {@link RegexTranslator}) or, for the patterns almost every model uses,
 * a hand-written scanner that gives the same pieces much faster ({@link FastSplitters}); a test checks
 * each scanner against its regex on random text.
 */
final class PreTokenizer {

    /** One splitting step: adds the end offsets of the pieces of {@code text[from, to)} to {@code ends}. */
    interface Step {
        void split(String text, int from, int to, IntList ends);
    }

    private final List<String> regexes;
    private final Step[] steps;

    private PreTokenizer(List<String> regexes, Step[] steps) {
        this.regexes = List.copyOf(regexes);
        this.steps = steps;
    }

    /** A pre-tokenizer of the given regexes, with fast scanners where one exists. */
    static PreTokenizer of(List<String> regexes) {
        Step[] steps = new Step[regexes.size()];
        for (int i = 0; i < steps.length; i++) {
            String r = regexes.get(i);
            Step fast = FastSplitters.forRegex(r);
            steps[i] = fast != null ? fast : regexStep(r);
        }
        return new PreTokenizer(regexes, steps);
    }

    /** A pre-tokenizer that only ever uses regexes (the reference the fast scanners are tested against). */
    static PreTokenizer regexOnly(List<String> regexes) {
        Step[] steps = new Step[regexes.size()];
        for (int i = 0; i < steps.length; i++) {
            String r = regexes.get(i);
            steps[i] = r.equals(PreTokenizers.AFMOE_DIGITS) ? FastSplitters.forRegex(r) : regexStep(r);
        }
        return new PreTokenizer(regexes, steps);
    }

    List<String> regexes() {
        return regexes;
    }

    /** End offsets (exclusive, ascending, all greater than 0) of the pieces of {@code text}. */
    IntList split(String text) {
        IntList ends = new IntList(text.length() / 4 + 4);
        if (text.isEmpty()) {
            return ends;
        }
        ends.add(text.length());
        for (Step step : steps) {
            IntList next = new IntList(ends.size() * 2 + 4);
            int from = 0;
            for (int i = 0; i < ends.size(); i++) {
                int to = ends.get(i);
                step.split(text, from, to, next);
                from = to;
            }
            ends = next;
        }
        return ends;
    }

    /** The pieces as strings (for tests and diagnostics). */
    List<String> pieces(String text) {
        IntList ends = split(text);
        List<String> out = new ArrayList<>(ends.size());
        int from = 0;
        for (int i = 0; i < ends.size(); i++) {
            out.add(text.substring(from, ends.get(i)));
            from = ends.get(i);
        }
        return out;
    }

    private static Step regexStep(String regex) {
        Pattern pattern = RegexTranslator.compile(regex);
        return (text, from, to, ends) -> {
            Matcher m = pattern.matcher(text);
            m.region(from, to);
            int last = from;
            while (m.find()) {
                int s = m.start();
                int e = m.end();
                if (s > last) {
                    ends.add(s);
                }
                if (e > s) {
                    ends.add(e);
                }
                last = e;
            }
            if (last < to) {
                ends.add(to);
            }
        };
    }
}
