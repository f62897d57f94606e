package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptDecoder;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.concepts.sonar.BeamSearch;
import dev.lcm4j.concepts.sonar.SonarConceptDecoder;
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
    private Integer maxTokensInSentence;
    private Double decodingTemperature;

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

    /**
     * The reference's {@code --decoder_config.max_tokens_in_sentence} and {@code .temperature}, applied to the decoder
     * when it loads; null leaves the decoder's own setting (for SONAR: 256 tokens as in the LCM evaluation, or its
     * card's {@code max_seq_len}, and temperature 1). A decoder that generates no tokens (the sentence-bank retrieval
     * decoder) has neither, so a given value is refused by name there rather than ignored.
     */
    public synchronized void decoderSettings(Integer maxTokensInSentence, Double temperature) {
        if (maxTokensInSentence != null && maxTokensInSentence < 3) {
            throw new LcmException("--decoder_config.max_tokens_in_sentence must be at least 3 (it counts the decoder's 2 prompt tokens), got "
                    + maxTokensInSentence);
        }
        if (temperature != null && !(temperature > 0 && !Double.isInfinite(temperature))) {
            throw new LcmException("--decoder_config.temperature must be a positive number, got " + temperature);
        }
        if (decoder != null) throw new IllegalStateException("decoder settings after the decoder loaded");
        this.maxTokensInSentence = maxTokensInSentence;
        this.decodingTemperature = temperature;
        // a sentence bank is known by its name: refused now, before any task runs (other decoders are checked as they load)
        if (maxTokensInSentence != null || temperature != null) {
            String name;
            try {
                name = decoderName();
            } catch (LcmException noDecoder) {
                return;   // a task that decodes fails with the predictor's own message
            }
            if (name.startsWith("bank:")) refuseSettings(name);
        }
    }

    public synchronized ConceptDecoder decoder() {
        if (decoder == null) {
            String name = decoderName();
            ConceptDecoder d = ConceptModels.decoder(name, placement.get());
            try {
                d = withSettings(d, name);
            } catch (RuntimeException e) {
                d.close();
                throw e;
            }
            decoder = d;
            dimCheck.check("concept decoder " + name, decoder.dim());
        }
        return decoder;
    }

    private ConceptDecoder withSettings(ConceptDecoder d, String name) {
        if (maxTokensInSentence == null && decodingTemperature == null) return d;
        if (d instanceof SonarConceptDecoder sonar) {
            BeamSearch.Options o = sonar.options();
            // the reference passes it as fairseq2's max_seq_len, which counts the 2 prompt tokens (</s>, language)
            if (maxTokensInSentence != null) o = o.withMaxSeqLen(maxTokensInSentence);
            if (decodingTemperature != null) o = o.withTemperature(decodingTemperature);
            return sonar.withOptions(o);
        }
        refuseSettings(name);
        return d;
    }

    private void refuseSettings(String name) {
        List<String> given = new ArrayList<>();
        if (maxTokensInSentence != null) given.add("--decoder_config.max_tokens_in_sentence");
        if (decodingTemperature != null) given.add("--decoder_config.temperature");
        throw new LcmException("concept decoder " + name + " retrieves whole sentences and generates no tokens; remove "
                + String.join(" and ", given) + " (they steer a token decoder such as text_sonar_basic_decoder)");
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
