package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.ConfigBinder;
import dev.lcm4j.inference.GeneratorOptions;
import dev.lcm4j.inference.LcmGenerator;
import dev.lcm4j.inference.TeacherForcedPredictor;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.models.ModelCards;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.torch.Devices;
import dev.lcm4j.concepts.ConceptModels;
import org.bytedeco.pytorch.Device;
import dev.lcm4j.dist.DistributedEnvironment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

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
public final class LcmPredictor implements Predictor {
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
                         boolean disableCache, double temperature, String splitter, String device) {
        /** The LCM's device setting ({@code --device}): {@code auto}, {@code cpu}, {@code cuda}, {@code cuda:N}. */
        public Config {
            if (device == null) device = dev.lcm4j.torch.Devices.AUTO;
        }
    }

    private final Config cfg;
    private final ModelCard card;
    private final Record samplingOptions;
    private final ConceptCodec concepts;
    private Lcm model;
    private TeacherForcedPredictor teacherForced;

    public LcmPredictor(Config cfg) {
        this.cfg = cfg;
        if (!names().contains(cfg.predictor())) {
            throw new LcmException("unknown predictor '" + cfg.predictor() + "'; valid: " + String.join(", ", Predictor.names())
                    + " (LLM predictors such as huggingface/llama3 are not part of lcm4j)");
        }
        concepts = new ConceptCodec(() -> encoderName(cfg.encoder(), card()), () -> decoderName(cfg.decoder(), card(), encoderName(cfg.encoder(), card())),
                cfg.encoderLang(), cfg.decoderLang(), cfg.splitter(), this::checkDim, this::conceptPlacement);
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

    /** The model predictors: one per model family, and {@value #DUMMY}. */
    public static List<String> names() {
        List<String> n = new ArrayList<>(ModelFamilies.predictorNames());
        n.add(DUMMY);
        return n;
    }

    /** The concept encoder's card name: the flag, else the model card's concept_encoder, else SONAR's. */
    static String encoderName(String flag, ModelCard card) {
        if (flag != null) return flag;
        Object c = card == null ? null : card.raw().get("concept_encoder");
        return c != null ? String.valueOf(c) : "text_sonar_basic_encoder";
    }

    /** The concept decoder: the flag, else the model card's concept_decoder, else SONAR's for a SONAR encoder. */
    static String decoderName(String flag, ModelCard card, String encoderName) {
        if (flag != null) return flag;
        String d = cardDecoder(card);
        if (d != null) return d;
        if (encoderName.startsWith("text_sonar")) return "text_sonar_basic_decoder";
        throw new LcmException("model card '" + (card == null ? "?" : card.name()) + "' names no concept_decoder and its encoder " + encoderName
                + " is not SONAR's; give --decoder_config.decoder CARD or bank:DATASET_DIR (a retrieval decoder over a prepared dataset)");
    }

    /** The card's concept_decoder, a sentence bank the card names relative to itself resolved; null if it names none. */
    static String cardDecoder(ModelCard card) {
        Object c = card == null ? null : card.raw().get("concept_decoder");
        if (c == null) return null;
        String d = String.valueOf(c);
        // lcm4j's trainer writes the bank relative to the card, since runs can move
        return d.startsWith("bank:") ? "bank:" + card.resolve(d.substring(5)) : d;
    }

    @Override
    public String name() {
        return cfg.predictor();
    }

    /** The model family's sampling options in effect (its defaults merged with what the user set); null for dummy. */
    public Record samplingOptions() {
        return samplingOptions;
    }

    @Override
    public ModelCard card() {
        return card;
    }

    public boolean isDummy() {
        return card == null;
    }

    @Override
    public int dim() {
        return model().sonarEmbedDim();
    }

    @Override
    public ConceptSpace space() {
        Object e = card == null ? null : card.raw().get("concept_encoder");
        return e == null ? null : new ConceptSpace(String.valueOf(e), "model card '" + card.name() + "'");
    }

    @Override
    public ConceptCodec concepts() {
        return concepts;
    }

    @Override
    public Map<String, Object> resultsConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (samplingOptions != null) m.put("sampling_options", ConfigBinder.toTree(samplingOptions));
        return m;
    }

    /**
     * SONAR encoders and decoders follow the LCM's {@code --device}; the CPU-only families (MiniLM on ONNX Runtime,
     * the sentence bank) stay on the CPU, since the device setting is the LCM's.
     */
    private ConceptModels.Placement conceptPlacement() {
        return new ConceptModels.Placement(device(), false, "--device");
    }

    private Device device;

    private synchronized Device device() {
        if (device == null) {
            DistributedEnvironment env = DistributedEnvironment.fromEnvironment();
            device = Devices.resolve(cfg.device(), "--device", env.distributed() ? env.localRank() : -1);
        }
        return device;
    }

    public synchronized Lcm model() {
        if (model == null) {
            if (card == null) throw new LcmException("the dummy predictor has no model; use it with the dummy_* tasks");
            TorchRuntime.init();
            model = ModelLoader.load(card, ParamFactory.on(device()), true);
            model.train(false);
        }
        return model;
    }

    private void checkDim(String what, int dim) {
        int m = model().sonarEmbedDim();
        if (dim != m) {
            throw new LcmException(what + " works in " + dim + "-d space but model card '" + card.name() + "' predicts "
                    + m + "-d concepts; pass the encoder/decoder of the model's concept space (--encoder_config.encoder, --decoder_config.decoder)");
        }
    }

    /** A sampling model (two-tower) draws each document's noise from its own generator, seeded with {@code seeds}. */
    @Override
    public List<float[][]> predictNext(List<float[][]> docs, long[] seeds) {
        int dim = dim();
        TeacherForcedPredictor tf;
        synchronized (this) {
            if (teacherForced == null) teacherForced = new TeacherForcedPredictor(model(), samplingOptions);
            tf = teacherForced;
        }
        EmbeddingsBatch eb = EmbeddingsBatch.of(docs, null);
        List<float[][]> preds = new ArrayList<>();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard(); Noise noise = Noise.perRow(seeds)) {
            Tensor out = tf.predict(eb, noise);   // [B, T, D]: position t predicts concept t + 1; T is the longest document
            float[] flat = Tensors.toFloats(out.contiguous());   // row-major [B][T][D]
            long tmax = out.size(1);
            for (int b = 0; b < docs.size(); b++) {
                float[][] x = docs.get(b);
                float[][] p = new float[x.length][];
                for (int n = 1; n < x.length; n++) {
                    p[n] = new float[dim];
                    System.arraycopy(flat, (int) ((b * tmax + (n - 1)) * dim), p[n], 0, dim);   // out[b, n - 1, :]
                }
                preds.add(p);
            }
        }
        return preds;
    }

    /**
     * {@inheritDoc}
     *
     * <p>With seeds, each prompt draws its noise from its own generator (see
     * {@link LcmGenerator#generate(List, Integer, Integer, double, boolean, long[])}); without, torch's global
     * generator is seeded with {@code --seed} at every generator call. The per-sample max_gen_len of
     * {@code maxGenLenRatio} works at any batch size (the reference's only at batch size 1; docs/quirks.md #24).
     */
    @Override
    public List<Prediction> generate(List<float[][]> prompts, long[] seeds, Integer maxPromptLen, Integer minGenLen, Integer maxGenLen,
                                     Double maxGenLenRatio, Object eosConfig) {
        if (seeds != null && seeds.length != prompts.size()) throw new IllegalArgumentException(seeds.length + " seeds for " + prompts.size() + " prompts");
        float[] eosVec = concepts.eos(eosConfig, dim());
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
            // Integer.valueOf: an int branch would unbox a null max_gen_len (which means max_seq_len) into an NPE
            Integer mg = maxGenLenRatio == null ? maxGenLen : Integer.valueOf(Math.max(1, (int) (chunk.get(0).length * maxGenLenRatio)));
            List<float[][]> out = gen.generate(chunk, mg, minGenLen, cfg.temperature(), cfg.disableCache(),
                    seeds == null ? null : Arrays.copyOfRange(seeds, i, i + chunk.size()));
            for (int k = 0; k < chunk.size(); k++) generated.add(Arrays.copyOfRange(out.get(k), chunk.get(k).length, out.get(k).length));
        }
        return decodeAll(concepts, generated);
    }

    /** Decodes all generated concepts at once (the reference re-batches for the SONAR decoder the same way). */
    static List<Prediction> decodeAll(ConceptCodec concepts, List<float[][]> generated) {
        List<float[]> flat = new ArrayList<>();
        for (float[][] g : generated) flat.addAll(Arrays.asList(g));
        List<String> texts = concepts.decode(flat.toArray(new float[0][]));
        List<Prediction> preds = new ArrayList<>();
        int off = 0;
        for (float[][] g : generated) {
            preds.add(new Prediction(new ArrayList<>(texts.subList(off, off + g.length)), g));
            off += g.length;
        }
        return preds;
    }

    @Override
    public void close() {
        concepts.close();
    }
}
