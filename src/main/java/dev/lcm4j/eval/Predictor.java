package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import dev.lcm4j.models.ModelCard;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the evaluation tasks ask of a predictor, whatever makes its predictions: next concepts from true prefixes
 * (lcm_next_sentence), continuations of prompts (the generation tasks), and a way between text and concepts. A trained
 * model ({@link LcmPredictor}) and the trivial baselines ({@link Baselines}) implement it; the task runners never ask
 * which one they hold.
 */
public interface Predictor extends AutoCloseable {
    /** Generated sentences (decoded) and their concepts, prompt excluded. */
    record Prediction(List<String> texts, float[][] embed) {
        public String text() {
            return String.join(" ", texts);
        }
    }

    /**
     * The concept space a predictor was fitted in, where something records it.
     *
     * @param encoder the concept encoder that embedded its training data (e.g. {@code all_minilm_l6_v2_q})
     * @param origin  what records it, for error messages (e.g. "model card 'mse'")
     */
    record ConceptSpace(String encoder, String origin) {
    }

    /** Every predictor name: one per model family, {@value LcmPredictor#DUMMY}, and the baselines. */
    static List<String> names() {
        List<String> n = new ArrayList<>(LcmPredictor.names());
        n.addAll(Baselines.names());
        return n;
    }

    /**
     * The predictor {@code cfg.predictor()} names.
     *
     * @param baselineData the baselines' training data ({@code --baseline_data}), null when not given; refused for
     *                     the predictors that do not read it
     */
    static Predictor create(LcmPredictor.Config cfg, String baselineData) {
        if (Baselines.names().contains(cfg.predictor())) return new Baselines(Baselines.Config.of(cfg, baselineData));
        if (baselineData != null && names().contains(cfg.predictor())) {
            throw new LcmException("--baseline_data is read by the baseline predictors only (" + String.join(", ", Baselines.DATA_READERS)
                    + "); remove it for --predictor " + cfg.predictor());
        }
        if (!names().contains(cfg.predictor())) {
            throw new LcmException("unknown predictor '" + cfg.predictor() + "'; valid: " + String.join(", ", names())
                    + " (LLM predictors such as huggingface/llama3 are not part of lcm4j)");
        }
        return new LcmPredictor(cfg);
    }

    String name();

    /** The dimension of the concepts it predicts; 0 when it takes concepts of any dimension. */
    int dim();

    /** The evaluated model's card (its checkpoint gives the results' training step), or null. */
    ModelCard card();

    /** The concept space it was fitted in, or null where nothing records it. */
    ConceptSpace space();

    /** Its way between text and concepts. */
    ConceptCodec concepts();

    /**
     * Teacher-forced predictions: for each document x [N][D], an array p [N][D] where p[n] is the prediction of x[n]
     * from x[0..n-1] and p[0] is null (nothing precedes the first concept).
     *
     * @param seeds one per document: whatever a document's predictions draw at random comes from its own seed, so
     *              they do not depend on the other documents of the call, the batch size or the shard
     */
    List<float[][]> predictNext(List<float[][]> documents, long[] seeds);

    /**
     * Generates after every prompt and decodes the generated part.
     *
     * @param seeds          one seed per prompt, as in {@link #predictNext}; null: the predictor's global draws
     * @param maxPromptLen   only the first maxPromptLen concepts of a prompt are read (null or not positive: all)
     * @param maxGenLen      null or 0: max_seq_len
     * @param maxGenLenRatio if set, each sample's max_gen_len is max(1, floor(prompt_len * ratio))
     * @param eosConfig      the task's {@code eos_config} (text or .npy of the EOS concept), or null
     */
    List<Prediction> generate(List<float[][]> prompts, long[] seeds, Integer maxPromptLen, Integer minGenLen, Integer maxGenLen,
                              Double maxGenLenRatio, Object eosConfig);

    /** What the results files record of this predictor beyond the command's options (e.g. the sampling options in effect). */
    Map<String, Object> resultsConfig();

    @Override
    void close();
}
