package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.inference.GeneratorOptions;
import dev.lcm4j.inference.StoppingRule;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.models.ModelCards;
import dev.lcm4j.torch.Noise;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The trivial baselines a model must beat, as predictors of {@code ./lcm evaluate}: they run no model, so users can
 * score their own data against them and a report can show what a model adds. Each works in both task kinds:
 * teacher-forced (lcm_next_sentence: a prediction of every concept from the true ones before it) and generation
 * (a continuation of the prompt, stopped by the same {@link StoppingRule} as a model's, then decoded).
 *
 * <p>Concept space: {@code --encoder_config.encoder} / {@code --decoder_config.decoder}, else those of
 * {@code --model_card} (only its concept_encoder and concept_decoder are read; no model is loaded), else, for the
 * encoder, the {@code concept_encoder} of the {@code --baseline_data} datacard. A task that needs a missing one fails
 * naming the flag.
 */
public final class Baselines implements Predictor {
    /** The baselines; {@code label} is the short name a report shows. */
    public enum Kind {
        MEAN("baseline_mean", "mean", true),
        COPY("baseline_copy", "copy-previous", false),
        /** baseline_copy under the name generation reports use: both repeat the prompt's last concept */
        REPEAT("baseline_repeat", "repeat-last", false),
        RANDOM("baseline_random", "random-from-train", true);

        private final String predictor;
        private final String label;
        private final boolean readsData;

        Kind(String predictor, String label, boolean readsData) {
            this.predictor = predictor;
            this.label = label;
            this.readsData = readsData;
        }

        public String predictor() {
            return predictor;
        }

        public String label() {
            return label;
        }

        /** Whether it is fitted on {@code --baseline_data}. */
        public boolean readsData() {
            return readsData;
        }

        public static Kind of(String predictor) {
            for (Kind k : values()) if (k.predictor.equals(predictor)) return k;
            throw new LcmException("unknown baseline '" + predictor + "'; valid: " + String.join(", ", names()));
        }
    }

    /** The baselines that read {@code --baseline_data}. */
    public static final List<String> DATA_READERS = Arrays.stream(Kind.values()).filter(Kind::readsData).map(Kind::predictor).toList();

    /**
     * A baseline's options.
     *
     * @param data      {@code --baseline_data}, or null
     * @param modelCard {@code --model_card}: only its concept encoder and decoder are used, or null
     * @param generator the generator options; the stopping rules act as for a model
     */
    public record Config(Kind kind, String data, String modelCard, GeneratorOptions generator, String encoder, String encoderLang,
                         String decoder, String decoderLang, String splitter) {
        /** The options of {@code cfg} a baseline uses (the CLI refuses the model-only ones it was given). */
        static Config of(LcmPredictor.Config cfg, String data) {
            return new Config(Kind.of(cfg.predictor()), data, cfg.modelCard(), cfg.generator(), cfg.encoder(), cfg.encoderLang(),
                    cfg.decoder(), cfg.decoderLang(), cfg.splitter());
        }
    }

    private final Config cfg;
    private final Dataset dataset;
    private final ModelCard spaceCard;
    private final ConceptCodec concepts;
    private BaselineData data;
    private float[] mean;

    public Baselines(Config cfg) {
        this.cfg = cfg;
        Kind k = cfg.kind();
        if (k.readsData() && cfg.data() == null) {
            throw new LcmException("--predictor " + k.predictor() + " needs --baseline_data NAME[=SPLIT] (a datacard name or a dataset"
                    + " directory; split " + BaselineData.DEFAULT_SPLIT + " by default): the data it " + (k == Kind.MEAN ? "averages" : "draws concepts from"));
        }
        if (!k.readsData() && cfg.data() != null) {
            throw new LcmException("--predictor " + k.predictor() + " reads no training data; remove --baseline_data (it is read by "
                    + String.join(", ", DATA_READERS) + ")");
        }
        if (k.readsData()) {
            dataset = BaselineData.resolve(cfg.data());
            dataset.files();   // a split without files fails here, before anything is written
        } else {
            dataset = null;
        }
        spaceCard = cfg.modelCard() == null ? null : ModelCards.resolve(cfg.modelCard());
        Object dataEncoder = dataEncoder(), cardEncoder = spaceCard == null ? null : spaceCard.raw().get("concept_encoder");
        if (dataEncoder != null && cardEncoder != null && !dataEncoder.equals(String.valueOf(cardEncoder))) {
            throw new LcmException("--baseline_data " + dataset.name() + " is in the concept space of " + dataEncoder + " but model card '"
                    + spaceCard.name() + "' is in that of " + cardEncoder + "; give baseline data of the model's concept space");
        }
        concepts = new ConceptCodec(this::encoderName, this::decoderName, cfg.encoderLang(), cfg.decoderLang(), cfg.splitter(), this::checkDim);
    }

    /** Every baseline's predictor name. */
    public static List<String> names() {
        return Arrays.stream(Kind.values()).map(Kind::predictor).toList();
    }

    public Kind kind() {
        return cfg.kind();
    }

    private String dataEncoder() {
        Object e = dataset == null || dataset.card() == null ? null : dataset.card().extra().get("concept_encoder");
        return e == null ? null : String.valueOf(e);
    }

    private String encoderName() {
        if (cfg.encoder() != null) return cfg.encoder();
        Object c = spaceCard == null ? null : spaceCard.raw().get("concept_encoder");
        if (c != null) return String.valueOf(c);
        if (dataEncoder() != null) return dataEncoder();
        throw new LcmException("--predictor " + name() + " has no concept encoder for this task; give --encoder_config.encoder CARD"
                + " (or --model_card CARD, whose concept_encoder it takes)");
    }

    private String decoderName() {
        if (cfg.decoder() != null) return cfg.decoder();
        String d = LcmPredictor.cardDecoder(spaceCard);
        if (d != null) return d;
        throw new LcmException("--predictor " + name() + " has no concept decoder for this task; give --decoder_config.decoder CARD or"
                + " bank:DATASET_DIR (a retrieval decoder over a prepared dataset), or --model_card CARD, whose concept_decoder it takes");
    }

    /** The training concepts, read on first use (a sharded run's launching process never reads them). */
    private synchronized BaselineData data() {
        if (data == null) {
            try {
                data = BaselineData.read(dataset, cfg.kind() == Kind.RANDOM);
            } catch (LcmException e) {
                throw new LcmException("--baseline_data " + cfg.data() + ": " + e.getMessage(), e);
            }
            mean = new float[data.dim()];
            for (int k = 0; k < mean.length; k++) mean[k] = (float) data.mean()[k];
        }
        return data;
    }

    private void checkDim(String what, int dim) {
        if (cfg.kind().readsData() && dim != data().dim()) {
            throw new LcmException(what + " works in " + dim + "-d space but --baseline_data " + dataset.name() + " holds " + data().dim()
                    + "-d concepts; pass the encoder/decoder of the data's concept space (--encoder_config.encoder, --decoder_config.decoder)");
        }
    }

    @Override
    public String name() {
        return cfg.kind().predictor();
    }

    /** The training data's dimension; 0 for the baselines that only copy, which take concepts of any dimension. */
    @Override
    public int dim() {
        return cfg.kind().readsData() ? data().dim() : 0;
    }

    /** None: a baseline has no checkpoint, so its results carry no training step. */
    @Override
    public ModelCard card() {
        return null;
    }

    @Override
    public ConceptSpace space() {
        if (dataEncoder() != null) return new ConceptSpace(dataEncoder(), "--baseline_data " + dataset.name());
        Object c = spaceCard == null ? null : spaceCard.raw().get("concept_encoder");
        return c == null ? null : new ConceptSpace(String.valueOf(c), "model card '" + spaceCard.name() + "'");
    }

    @Override
    public ConceptCodec concepts() {
        return concepts;
    }

    @Override
    public Map<String, Object> resultsConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("baseline", cfg.kind().label());
        if (dataset != null) m.put("baseline_data", dataset.name() + " (" + dataset.root() + ")");
        return m;
    }

    /**
     * The next concept after {@code previous}: the mean, a copy of {@code previous}, or a training concept drawn with
     * {@code rng}.
     */
    private float[] next(float[] previous, SplittableRandom rng) {
        return switch (cfg.kind()) {
            case MEAN -> mean;
            case COPY, REPEAT -> previous;
            case RANDOM -> {
                List<float[]> all = data().concepts();
                yield all.get(rng.nextInt(all.size()));
            }
        };
    }

    /** A sample's random draws: from its own seed, else (no seeds given) from {@code --seed} and its place in the call. */
    private SplittableRandom rng(long[] seeds, int i) {
        GeneratorOptions g = cfg.generator();
        return new SplittableRandom(seeds != null ? seeds[i] : Noise.seedFor(g == null || g.seed() == null ? 0 : g.seed(), i));
    }

    private void checkConcepts(String what, float[][] x) {
        if (!cfg.kind().readsData()) return;
        int d = data().dim();
        for (float[] v : x) {
            if (v.length != d) {
                throw new LcmException(what + " holds " + v.length + "-d concepts but --baseline_data " + dataset.name() + " holds " + d
                        + "-d ones; evaluate on data of the baseline data's concept space");
            }
        }
    }

    @Override
    public List<float[][]> predictNext(List<float[][]> documents, long[] seeds) {
        if (seeds != null && seeds.length != documents.size()) throw new IllegalArgumentException(seeds.length + " seeds for " + documents.size() + " documents");
        if (cfg.kind().readsData()) data();
        List<float[][]> out = new ArrayList<>();
        for (int b = 0; b < documents.size(); b++) {
            float[][] x = documents.get(b);
            checkConcepts("document " + b, x);
            SplittableRandom rng = rng(seeds, b);
            float[][] p = new float[x.length][];
            for (int n = 1; n < x.length; n++) p[n] = next(x[n - 1], rng).clone();
            out.add(p);
        }
        return out;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Every step's concept is the baseline's next one after the concept before it, so the copying baselines repeat
     * the prompt's last concept; rows stop as a model's would (max_gen_len, or EOS / repetition with their options).
     */
    @Override
    public List<Prediction> generate(List<float[][]> prompts, long[] seeds, Integer maxPromptLen, Integer minGenLen, Integer maxGenLen,
                                     Double maxGenLenRatio, Object eosConfig) {
        if (seeds != null && seeds.length != prompts.size()) throw new IllegalArgumentException(seeds.length + " seeds for " + prompts.size() + " prompts");
        float[] eos = concepts.eos(eosConfig, dim());
        List<float[][]> generated = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            float[][] p = prompts.get(i);
            float[][] cut = maxPromptLen != null && maxPromptLen > 0 && p.length > maxPromptLen ? Arrays.copyOf(p, maxPromptLen) : p;
            if (cut.length == 0) throw new LcmException("prompt " + i + " is empty; every prompt needs at least one concept");
            checkConcepts("prompt " + i, cut);
            Integer mg = maxGenLenRatio == null ? maxGenLen : Integer.valueOf(Math.max(1, (int) (cut.length * maxGenLenRatio)));
            StoppingRule rule = StoppingRule.of(cfg.generator(), mg, minGenLen, eos);
            SplittableRandom rng = rng(seeds, i);
            List<float[]> out = new ArrayList<>();
            float[] previous = cut[cut.length - 1];
            for (int g = 0; ; g++) {
                float[] v = next(previous, rng).clone();
                StoppingRule.Decision d = rule.after(previous, v, g);
                if (d != StoppingRule.Decision.STOP_DROP_LAST) out.add(v);
                if (d != StoppingRule.Decision.GO_ON) break;
                previous = v;
            }
            generated.add(out.toArray(new float[0][]));
        }
        return LcmPredictor.decodeAll(concepts, generated);
    }

    @Override
    public void close() {
        concepts.close();
    }
}
