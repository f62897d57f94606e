package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptDecoder;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.io.Npy;
import dev.lcm4j.text.SentenceSplitter;
import dev.lcm4j.text.SentenceSplitters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A predictor's way between text and concepts: the sentence splitter for text prompts, the concept encoder and decoder
 * (loaded on first use, so a task that needs neither never loads them) and the EOS concept of {@code eos_config}.
 * Which encoder and decoder, and which concept dimension they must have, is the predictor's to say: the names are
 * asked for only when first needed (a predictor without a decoder fails only in a task that decodes).
 */
public final class ConceptCodec implements AutoCloseable {
    /** Checks that a concept model of dimension {@code dim} works in the predictor's concept space. */
    @FunctionalInterface
    public interface DimCheck {
        /** @param what the model, for the error message (e.g. "concept encoder all_minilm_l6_v2_q") */
        void check(String what, int dim);
    }

    private final Supplier<String> encoderName;
    private final Supplier<String> decoderName;
    private final String encoderLang;
    private final String decoderLang;
    private final String splitterName;
    private final DimCheck dimCheck;
    private final Supplier<ConceptModels.Placement> placement;
    private ConceptEncoder encoder;
    private ConceptDecoder decoder;
    private SentenceSplitter splitter;
    private float[] eos;
    private String eosKey;

    /**
     * @param encoderName the encoder's card (name, path); may throw when the predictor has none, naming the flag
     * @param decoderName the decoder's card or {@code bank:DIR}; may throw as {@code encoderName}
     * @param splitter    the sentence splitter of text prompts, null for {@link SentenceSplitters#DEFAULT}
     */
    public ConceptCodec(Supplier<String> encoderName, Supplier<String> decoderName, String encoderLang, String decoderLang,
                        String splitter, DimCheck dimCheck) {
        this(encoderName, decoderName, encoderLang, decoderLang, splitter, dimCheck, ConceptModels.Placement::cpu);
    }

    /** As above, with the encoder and decoder placed by {@code placement} (asked when they load). */
    public ConceptCodec(Supplier<String> encoderName, Supplier<String> decoderName, String encoderLang, String decoderLang,
                        String splitter, DimCheck dimCheck, Supplier<ConceptModels.Placement> placement) {
        this.placement = placement;
        this.encoderName = encoderName;
        this.decoderName = decoderName;
        this.encoderLang = encoderLang;
        this.decoderLang = decoderLang;
        this.splitterName = splitter;
        this.dimCheck = dimCheck;
    }

    public String encoderName() {
        return encoderName.get();
    }

    public String decoderName() {
        return decoderName.get();
    }

    public String encoderLang() {
        return encoderLang;
    }

    public synchronized ConceptEncoder encoder() {
        if (encoder == null) {
            String name = encoderName();
            encoder = ConceptModels.encoder(name, placement.get());
            dimCheck.check("concept encoder " + name, encoder.dim());
        }
        return encoder;
    }

    public synchronized ConceptDecoder decoder() {
        if (decoder == null) {
            String name = decoderName();
            decoder = ConceptModels.decoder(name, placement.get());
            dimCheck.check("concept decoder " + name, decoder.dim());
        }
        return decoder;
    }

    /** Sentences of a text prompt, split as the predictor does before encoding. */
    public synchronized List<String> split(String text) {
        if (splitter == null) splitter = SentenceSplitters.create(splitterName == null ? SentenceSplitters.DEFAULT : splitterName);
        List<String> s = new ArrayList<>();
        for (String x : splitter.split(text, encoderLang)) if (!x.isBlank()) s.add(x.strip());
        return s;
    }

    /** A text prompt as concepts: split into sentences, encode each. */
    public float[][] encodeText(String text) {
        List<String> sents = split(text);
        if (sents.isEmpty()) throw new LcmException("empty prompt: '" + text + "' has no sentence to encode");
        return encode(sents);
    }

    /** One concept per sentence. */
    public float[][] encode(List<String> sentences) {
        return encoder().encode(sentences, encoderLang);
    }

    public List<String> decode(float[][] vectors) {
        if (vectors.length == 0) return List.of();
        return decoder().decode(vectors, decoderLang);
    }

    /**
     * The EOS concept of {@code eos_config}: {@code text} (encoded with the encoder) or {@code ckpt} (a .npy float32
     * vector), or null.
     *
     * @param dim the predictor's concept dimension, 0 when it takes any
     */
    public synchronized float[] eos(Object eosConfig, int dim) {
        if (!(eosConfig instanceof Map<?, ?> m) || m.isEmpty()) return null;
        String key = String.valueOf(m);
        if (key.equals(eosKey)) return eos;
        float[] v;
        if (m.get("ckpt") != null && Files.exists(Path.of(String.valueOf(m.get("ckpt"))))) {
            v = Npy.read(Path.of(String.valueOf(m.get("ckpt")))).toFloatArray();
        } else if (m.get("text") != null) {
            v = encode(List.of(String.valueOf(m.get("text"))))[0];
        } else {
            throw new LcmException("eos_config " + m + " needs \"text\" (e.g. {\"text\": \"End of text.\"}) or \"ckpt\" (an existing .npy vector)");
        }
        if (dim > 0 && v.length != dim) throw new LcmException("eos_config " + m + " gives a " + v.length + "-d vector; the predictor's concepts are " + dim + "-d");
        eos = v;
        eosKey = key;
        return v;
    }

    @Override
    public void close() {
        if (encoder != null) encoder.close();
        if (decoder != null) decoder.close();
    }
}
