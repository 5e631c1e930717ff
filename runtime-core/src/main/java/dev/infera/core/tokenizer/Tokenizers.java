package dev.infera.core.tokenizer;

import dev.infera.api.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Entry point for building tokenizers: from a {@link Vocabulary}, from GGUF metadata
 * ({@link TokenizerGguf#load}), or from Hugging Face / tiktoken files on disk ({@link #load}).
 */
public final class Tokenizers {

    private Tokenizers() {
    }

    /** The tokenizer a vocabulary describes (its model kind picks the algorithm, its pre name the splitting). */
    public static Tokenizer fromVocabulary(Vocabulary v) {
        return switch (v.model()) {
            case "llama" -> new SpmTokenizer(v);
            case "bert" -> new WordPieceTokenizer(v);
            case "gpt2" -> bpe(v, PreTokenizers.forName(v.pre() == null ? "default" : v.pre()));
            default -> throw new ModelFormatException("unsupported tokenizer model '" + v.model()
                    + "'; supported: llama (SentencePiece), gpt2 (byte-level BPE), bert (WordPiece)");
        };
    }

    static Tokenizer bpe(Vocabulary v, PreTokenizers.Config c) {
        return new BpeTokenizer(v, new BpeTokenizer.Options(PreTokenizer.of(c.regexes()), c.ignoreMerges(), c.nfc(),
                c.byteLevel(), !c.byteLevel()));
    }

    /**
     * Loads a tokenizer from files: a GGUF model or vocabulary file, a Hugging Face {@code tokenizer.json}, a folder holding one (or
     * {@code vocab.json} + {@code merges.txt}), or a tiktoken ranks file (such as Llama 3's
     * {@code tokenizer.model}).
     *
     * @param preOverride pre-tokenizer name to use instead of what the files say (needed where they say
     *                    nothing); null to keep theirs
     */
    public static Tokenizer load(Path path, String preOverride) {
        if (preOverride != null) {
            PreTokenizers.forName(preOverride);
        }
        try {
            if (Files.isDirectory(path)) {
                Path json = path.resolve("tokenizer.json");
                if (Files.isRegularFile(json)) {
                    return HfTokenizerJson.load(json, preOverride);
                }
                if (Files.isRegularFile(path.resolve("vocab.json")) && Files.isRegularFile(path.resolve("merges.txt"))) {
                    return HfVocabMerges.load(path, preOverride);
                }
                throw new ModelFormatException("folder " + path + " holds neither tokenizer.json nor vocab.json + merges.txt");
            }
            if (!Files.isRegularFile(path)) {
                throw new ModelFormatException("tokenizer file not found: " + path);
            }
            if (path.getFileName().toString().endsWith(".gguf")) {
                Vocabulary v = TokenizerGguf.read(path);
                return preOverride == null ? fromVocabulary(v) : fromVocabulary(v.toBuilder().pre(preOverride).build());
            }
            if (path.getFileName().toString().endsWith(".json")) {
                return HfTokenizerJson.load(path, preOverride);
            }
            if (TiktokenFile.looksLikeTiktoken(path)) {
                return TiktokenFile.load(path, preOverride);
            }
            throw new ModelFormatException("cannot tell the tokenizer format of " + path
                    + " (expected tokenizer.json, a folder with vocab.json + merges.txt, or a tiktoken ranks file)");
        } catch (CharacterCodingException e) {
            throw new ModelFormatException("tokenizer " + path + " is not valid text: " + e, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer " + path + ": " + e.getMessage(), e);
        }
    }
}
