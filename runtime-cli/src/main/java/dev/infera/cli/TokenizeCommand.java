package dev.infera.cli;

import dev.infera.core.json.Json;
import dev.infera.core.tokenizer.PreTokenizers;
import dev.infera.core.tokenizer.Tokenizer;
import dev.infera.core.tokenizer.TokenizerGguf;
import dev.infera.core.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code infera tokenize}: token ids of a text, from a GGUF model's tokenizer or from tokenizer files.
 *
 * <p>By default no special tokens are added and special-token text is not parsed, the conventions of
 * the tokenizer conformance files ({@code .inp} / {@code .out}). With {@code --separator} the input is
 * split on that exact string (escapes such as {@code \n} understood; a separator at the very end does
 * not start another piece) and one line per piece is printed, each id preceded by a space: the layout
 * of the {@code .out} files, so the output for an {@code .inp} file can be compared with {@code diff}.
 */
final class TokenizeCommand implements Command {

    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public String summary() {
        return "print the token ids of a text";
    }

    @Override
    public String usage() {
        return "infera tokenize (--model FILE | --tokenizer PATH [--pre NAME]) (--text T | --file F) [--separator S] [--json]";
    }

    @Override
    public List<Option> options() {
        return List.of(
                Option.value("--model", "FILE", "GGUF model or vocabulary file whose tokenizer to use"),
                Option.value("--tokenizer", "PATH", "tokenizer.json, a folder with vocab.json + merges.txt, or a tiktoken file"),
                Option.value("--pre", "NAME", "pre-tokenizer name (e.g. llama-bpe, qwen2, gpt-2) for files that do not name one"),
                Option.value("--text", "T", "the text to tokenize"),
                Option.value("--file", "F", "a UTF-8 file whose content to tokenize"),
                Option.value("--separator", "S", "split the input on S (\\n, \\t, \\\\ understood); one line of ids per piece"),
                Option.flag("--json", "print JSON with ids and token pieces"),
                Option.flag("--add-special", "add the tokens the vocabulary asks for (BOS, EOS)"),
                Option.flag("--parse-special", "turn special-token text such as <|im_start|> into its id"));
    }

    @Override
    public int run(Options options, PrintStream out, PrintStream err) throws IOException {
        Tokenizer tokenizer = loadTokenizer(options);
        String input = readInput(options);
        boolean addSpecial = options.flag("--add-special");
        boolean parseSpecial = options.flag("--parse-special");
        boolean split = options.find("--separator").isPresent();
        List<String> pieces = split ? splitInput(input, unescape(options.require("--separator"))) : List.of(input);
        List<int[]> encoded = new ArrayList<>(pieces.size());
        for (String piece : pieces) {
            encoded.add(tokenizer.encode(piece, addSpecial, parseSpecial));
        }
        if (options.flag("--json")) {
            List<Object> results = new ArrayList<>();
            for (int p = 0; p < pieces.size(); p++) {
                String piece = pieces.get(p);
                int[] ids = encoded.get(p);
                List<String> texts = new ArrayList<>(ids.length);
                for (int id : ids) {
                    texts.add(tokenizer.tokenText(id));
                }
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("text", piece);
                r.put("ids", ids);
                r.put("pieces", texts);
                results.add(r);
            }
            out.println(Json.writePretty(split ? results : results.get(0)));
            return 0;
        }
        StringBuilder sb = new StringBuilder();
        for (int[] ids : encoded) {
            for (int i = 0; i < ids.length; i++) {
                if (split || i > 0) {
                    sb.append(' ');
                }
                sb.append(ids[i]);
            }
            sb.append('\n');
        }
        out.print(sb);
        out.flush();
        return 0;
    }

    private static Tokenizer loadTokenizer(Options options) {
        boolean model = options.has("--model");
        boolean files = options.has("--tokenizer");
        if (model == files) {
            throw new CliException("give exactly one of --model FILE or --tokenizer PATH");
        }
        String pre = options.find("--pre").orElse(null);
        if (pre != null && !PreTokenizers.isKnown(pre)) {
            throw new CliException("unknown pre-tokenizer '" + pre + "' for --pre (e.g. llama-bpe, qwen2, gpt-2, smollm)");
        }
        if (model) {
            if (pre != null) {
                throw new CliException("--pre applies to --tokenizer files; a GGUF model names its own pre-tokenizer");
            }
            Path path = options.existingPath("--model");
            if (!Files.isRegularFile(path)) {
                throw new CliException("--model must name a GGUF file, but " + path + " is not a regular file");
            }
            return TokenizerGguf.load(path);
        }
        return Tokenizers.load(options.existingPath("--tokenizer"), pre);
    }

    private static String readInput(Options options) throws IOException {
        boolean text = options.has("--text");
        boolean file = options.has("--file");
        if (text == file) {
            throw new CliException("give exactly one of --text T or --file F");
        }
        if (text) {
            return options.require("--text");
        }
        Path path = options.existingPath("--file");
        if (!Files.isRegularFile(path)) {
            throw new CliException("--file must name a file, but " + path + " is not a regular file");
        }
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new CliException("--file " + path + " is not valid UTF-8 text");
        }
    }

    /** The pieces of {@code input} between separators; a trailing separator ends the last piece. */
    static List<String> splitInput(String input, String separator) {
        if (separator.isEmpty()) {
            throw new CliException("--separator must not be empty");
        }
        List<String> pieces = new ArrayList<>();
        int from = 0;
        while (true) {
            int at = input.indexOf(separator, from);
            if (at < 0) {
                break;
            }
            pieces.add(input.substring(from, at));
            from = at + separator.length();
        }
        if (from < input.length() || pieces.isEmpty()) {
            pieces.add(input.substring(from));
        }
        return pieces;
    }

    /** Backslash escapes: \n \t \r \\ \" and \\uXXXX. */
    static String unescape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (i + 1 >= s.length()) {
                throw new CliException("--separator ends with a lone backslash");
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '\\' -> sb.append('\\');
                case '"' -> sb.append('"');
                case 'u' -> {
                    if (i + 5 > s.length()) {
                        throw new CliException("--separator has a truncated \\u escape");
                    }
                    try {
                        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    } catch (NumberFormatException ex) {
                        throw new CliException("--separator has a bad \\u escape");
                    }
                    i += 4;
                }
                default -> throw new CliException("--separator has an unknown escape \\" + e + " (use \\n, \\t, \\r, \\\\, \\\", \\uXXXX)");
            }
        }
        return sb.toString();
    }
}
