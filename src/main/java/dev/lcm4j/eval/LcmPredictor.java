package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.ConceptDecoder;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.inference.GeneratorOptions;
import dev.lcm4j.inference.LcmGenerator;
import dev.lcm4j.io.Npy;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.models.ModelCards;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.text.SentenceSplitter;
import dev.lcm4j.text.SentenceSplitters;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The reference's {@code base_lcm} / {@code two_tower_diffusion_lcm} predictors: text prompts are split into sentences
 * and encoded with the card's concept encoder, concept prompts are used as they are (first {@code max_prompt_len}
 * sentences), the model generates, and the generated concepts (without the prompt) are decoded to sentences with the
 * card's concept decoder. Model, encoder and decoder load on first use.
 *
 * <p>Concept space: {@code --encoder_config.encoder} / {@code --decoder_config.decoder} if given, else the model card's
 * {@code concept_encoder} / {@code concept_decoder} (lcm4j's trainer records the training data's), else SONAR's
 * {@code text_sonar_basic_encoder} / {@code text_sonar_basic_decoder} as in the reference.
 */
public final class LcmPredictor implements AutoCloseable {
    /** The predictor that runs no model (the dummy_* tasks). */
    public static final String DUMMY = "dummy";

    /**
     * The predictor options ({@code LCMConfig} / {@code TwoTowerDiffusionLCMConfig} fields).
     *
     * @param samplingOptions the model family's own sampling options the user set (reference field names), bound onto
     *                        the family's defaults
     */
    public record Config(String predictor, String modelCard, GeneratorOptions generator, Map<String, Object> samplingOptions,
                         String encoder, String encoderLang, String decoder, String decoderLang, Integer generatorBatchSize,
                         boolean disableCache, double temperature, String splitter) {
    }

    /** Generated sentences (decoded) and their concepts, prompt excluded. */
    public record Prediction(List<String> texts, float[][] embed) {
        public String text() {
            return String.join(" ", texts);
        }
    }

    private final Config cfg;
    private final ModelCard card;
    private final Record samplingOptions;
    private Lcm model;
    private ConceptEncoder encoder;
    private ConceptDecoder decoder;
    private SentenceSplitter splitter;
    private float[] eos;
    private String eosKey;

    public LcmPredictor(Config cfg) {
        this.cfg = cfg;
        if (!names().contains(cfg.predictor())) {
            throw new LcmException("unknown predictor '" + cfg.predictor() + "'; valid: " + String.join(", ", names())
                    + " (LLM predictors such as huggingface/llama3 are not part of lcm4j)");
        }
        if (cfg.predictor().equals(DUMMY)) {
            card = null;
            samplingOptions = null;
            return;
        }
        if (cfg.modelCard() == null || cfg.modelCard().isBlank()) throw new LcmException("--predictor " + cfg.predictor() + " needs --model_card CARD (a card name, model_card.yaml, training output dir or checkpoint)");
        card = ModelCards.resolve(cfg.modelCard());
        ModelFamily<?, ?, ?> family = ModelFamilies.byPredictor(cfg.predictor());
        if (!card.family().equals(family.name())) {
            String fix = ModelFamilies.contains(card.family()) ? ModelFamilies.get(card.family()).predictorName() : "of its family";
            throw new LcmException("--predictor " + cfg.predictor() + " cannot run model card '" + card.name() + "' of family "
                    + card.family() + "; use --predictor " + fix);
        }
        samplingOptions = family.samplingOptions(cfg.samplingOptions() == null ? Map.of() : cfg.samplingOptions(), "sampling options");
    }

    /** Every predictor name: one per model family, and {@value #DUMMY}. */
    public static List<String> names() {
        List<String> n = new ArrayList<>(ModelFamilies.predictorNames());
        n.add(DUMMY);
        return n;
    }

    /** The model family's sampling options in effect (its defaults merged with what the user set); null for dummy. */
    public Record samplingOptions() {
        return samplingOptions;
    }

    public ModelCard card() {
        return card;
    }

    public boolean isDummy() {
        return card == null;
    }

    public synchronized Lcm model() {
        if (model == null) {
            if (card == null) throw new LcmException("the dummy predictor has no model; use it with the dummy_* tasks");
            TorchRuntime.init();
            model = ModelLoader.load(card, ParamFactory.cpu(), true);
            model.train(false);
        }
        return model;
    }

    /** The concept encoder's card name (flag, model card, or SONAR). */
    public String encoderName() {
        if (cfg.encoder() != null) return cfg.encoder();
        Object c = card == null ? null : card.raw().get("concept_encoder");
        return c != null ? String.valueOf(c) : "text_sonar_basic_encoder";
    }

    public String decoderName() {
        if (cfg.decoder() != null) return cfg.decoder();
        Object c = card == null ? null : card.raw().get("concept_decoder");
        if (c != null) {
            String d = String.valueOf(c);
            // a sentence bank the card names relative to itself (lcm4j's trainer writes it so; runs can move)
            return d.startsWith("bank:") ? "bank:" + card.resolve(d.substring(5)) : d;
        }
        if (encoderName().startsWith("text_sonar")) return "text_sonar_basic_decoder";
        throw new LcmException("model card '" + (card == null ? "?" : card.name()) + "' names no concept_decoder and its encoder " + encoderName()
                + " is not SONAR's; give --decoder_config.decoder CARD or bank:DATASET_DIR (a retrieval decoder over a prepared dataset)");
    }

    public synchronized ConceptEncoder encoder() {
        if (encoder == null) {
            encoder = ConceptModels.encoder(encoderName());
            checkDim("concept encoder " + encoderName(), encoder.dim());
        }
        return encoder;
    }

    public synchronized ConceptDecoder decoder() {
        if (decoder == null) {
            decoder = ConceptModels.decoder(decoderName());
            checkDim("concept decoder " + decoderName(), decoder.dim());
        }
        return decoder;
    }

    private void checkDim(String what, int dim) {
        int m = model().sonarEmbedDim();
        if (dim != m) {
            throw new LcmException(what + " works in " + dim + "-d space but model card '" + card.name() + "' predicts "
                    + m + "-d concepts; pass the encoder/decoder of the model's concept space (--encoder_config.encoder, --decoder_config.decoder)");
        }
    }

    public String encoderLang() {
        return cfg.encoderLang();
    }

    /** Sentences of a text prompt, split as the predictor does before encoding. */
    public synchronized List<String> split(String text) {
        if (splitter == null) splitter = SentenceSplitters.create(cfg.splitter() == null ? SentenceSplitters.DEFAULT : cfg.splitter());
        List<String> s = new ArrayList<>();
        for (String x : splitter.split(text, cfg.encoderLang())) if (!x.isBlank()) s.add(x.strip());
        return s;
    }

    /** A text prompt as concepts: split into sentences, encode each. */
    public float[][] encodeText(String text) {
        List<String> sents = split(text);
        if (sents.isEmpty()) throw new LcmException("empty prompt: '" + text + "' has no sentence to encode");
        return encoder().encode(sents, cfg.encoderLang());
    }

    public List<String> decode(float[][] vectors) {
        if (vectors.length == 0) return List.of();
        return decoder().decode(vectors, cfg.decoderLang());
    }

    /**
     * The EOS concept of {@code eos_config}: {@code text} (encoded with the predictor's encoder) or {@code ckpt} (a .npy
     * float32 vector), or null.
     */
    public synchronized float[] eos(Object eosConfig) {
        if (!(eosConfig instanceof Map<?, ?> m) || m.isEmpty()) return null;
        String key = String.valueOf(m);
        if (key.equals(eosKey)) return eos;
        float[] v;
        if (m.get("ckpt") != null && Files.exists(Path.of(String.valueOf(m.get("ckpt"))))) {
            v = Npy.read(Path.of(String.valueOf(m.get("ckpt")))).toFloatArray();
        } else if (m.get("text") != null) {
            v = encoder().encode(List.of(String.valueOf(m.get("text"))), cfg.encoderLang())[0];
        } else {
            throw new LcmException("eos_config " + m + " needs \"text\" (e.g. {\"text\": \"End of text.\"}) or \"ckpt\" (an existing .npy vector)");
        }
        if (v.length != model().sonarEmbedDim()) throw new LcmException("eos_config " + m + " gives a " + v.length + "-d vector; the model's concepts are " + model().sonarEmbedDim() + "-d");
        eos = v;
        eosKey = key;
        return v;
    }

    /**
     * Generates after every prompt and decodes the generated part.
     *
     * @param seeds          one seed per prompt: each prompt draws its noise from its own generator (see
     *                       {@link LcmGenerator#generate(List, Integer, Integer, double, boolean, long[])}), so its
     *                       prediction does not depend on the other prompts, the generator batch size or the shard;
     *                       null: torch's global generator, seeded with {@code --seed} at every generator call
     * @param maxGenLenRatio if set, each sample's max_gen_len is max(1, floor(prompt_len * ratio)) (per sample; the
     *                       reference's version only works at batch size 1; docs/quirks.md #24)
     */
    public List<Prediction> generate(List<float[][]> prompts, long[] seeds, Integer maxPromptLen, Integer minGenLen, Integer maxGenLen,
                                     Double maxGenLenRatio, Object eosConfig) {
        if (seeds != null && seeds.length != prompts.size()) throw new IllegalArgumentException(seeds.length + " seeds for " + prompts.size() + " prompts");
        float[] eosVec = eos(eosConfig);
        GeneratorOptions g = cfg.generator();
        GeneratorOptions opts = new GeneratorOptions(g.max_seq_len(), g.min_seq_len(), eosVec == null ? null : g.eos_threshold(),
                g.sample_latent_variable(), g.stop_on_repetition_cosine_threshold(), g.include_eos_token(), g.trim_hypotheses(),
                g.seed(), g.lcm_temperature());
        LcmGenerator gen = new LcmGenerator(model(), opts, samplingOptions, eosVec);
        List<float[][]> cut = new ArrayList<>();
        for (float[][] p : prompts) cut.add(maxPromptLen != null && maxPromptLen > 0 && p.length > maxPromptLen ? Arrays.copyOf(p, maxPromptLen) : p);
        List<float[][]> generated = new ArrayList<>();
        int bs = cfg.generatorBatchSize() == null || cfg.generatorBatchSize() < 1 ? cut.size() : cfg.generatorBatchSize();
        if (maxGenLenRatio != null) bs = 1;
        for (int i = 0; i < cut.size(); i += bs) {
            List<float[][]> chunk = cut.subList(i, Math.min(cut.size(), i + bs));
            Integer mg = maxGenLenRatio == null ? maxGenLen : Math.max(1, (int) (chunk.get(0).length * maxGenLenRatio));
            List<float[][]> out = gen.generate(chunk, mg, minGenLen, cfg.temperature(), cfg.disableCache(),
                    seeds == null ? null : Arrays.copyOfRange(seeds, i, i + chunk.size()));
            for (int k = 0; k < chunk.size(); k++) generated.add(Arrays.copyOfRange(out.get(k), chunk.get(k).length, out.get(k).length));
        }
        // decode all generated concepts at once (the reference re-batches for the SONAR decoder the same way)
        List<float[]> flat = new ArrayList<>();
        for (float[][] g2 : generated) flat.addAll(Arrays.asList(g2));
        List<String> texts = decode(flat.toArray(new float[0][]));
        List<Prediction> preds = new ArrayList<>();
        int off = 0;
        for (float[][] g2 : generated) {
            preds.add(new Prediction(new ArrayList<>(texts.subList(off, off + g2.length)), g2));
            off += g2.length;
        }
        return preds;
    }

    @Override
    public void close() {
        if (encoder != null) encoder.close();
        if (decoder != null) decoder.close();
    }
}
