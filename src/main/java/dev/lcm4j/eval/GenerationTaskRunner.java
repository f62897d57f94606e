package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.AffixEmbedding;
import dev.lcm4j.data.Affixes;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.Document;
import dev.lcm4j.torch.Noise;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;

/**
 * The generation tasks (text: cnn_dailymail, xsum, xlsum; LCM: lcm_generation, finetuning_data_lcm): prompts in
 * batches through the predictor, each decoded continuation scored with {@link TextScores}.
 */
final class GenerationTaskRunner implements TaskRunner {
    /** How many sentences after the prompt are the reference when {@code max_gen_len} is given as null. */
    private static final int DEFAULT_MAX_GEN_LEN = 128;

    private final Predictor predictor;
    private final Settings settings;

    GenerationTaskRunner(Predictor predictor, Settings settings) {
        this.predictor = predictor;
        this.settings = settings;
    }

    @Override
    public void run(Run run, DatasetOptions d, Results sink) {
        Map<String, Object> a = run.args();
        List<Example> examples = run.spec().kind() == TaskSpec.Kind.TEXT_GENERATION
                ? ExampleLoader.textExamples(run.spec(), d, a, settings.maxSamples())
                : lcmExamples(run, d);
        if (examples.isEmpty()) throw new LcmException("task " + run.name() + " found no samples to evaluate");
        TextScores scorer = new TextScores(run.spec(), a);
        try (ProgressBar pb = settings.progressBar(run.name(), examples.size())) {
            for (int i = 0, b = 0; i < examples.size(); i += settings.batchSize(), b++) {
                if (!settings.shard().owns(b)) continue;
                List<Example> batch = examples.subList(i, Math.min(examples.size(), i + settings.batchSize()));
                Results.Batch out = sink.batch(b);
                List<float[][]> prompts = new ArrayList<>();
                long[] seeds = new long[batch.size()];
                for (int k = 0; k < batch.size(); k++) {
                    Example e = batch.get(k);
                    prompts.add(e.promptConcepts() != null ? e.promptConcepts() : predictor.concepts().encodeText(e.promptText()));
                    seeds[k] = Noise.seedFor(settings.seed(), e.index());
                }
                List<Predictor.Prediction> preds = predictor.generate(prompts, seeds, TaskArgs.intArg(a, "max_prompt_len"),
                        TaskArgs.intArg(a, "min_gen_len"), TaskArgs.intArg(a, "max_gen_len"), TaskArgs.doubleArg(a, "max_gen_len_ratio"),
                        a.get("eos_config"));
                for (int k = 0; k < batch.size(); k++) {
                    Example e = batch.get(k);
                    Predictor.Prediction pred = preds.get(k);
                    String prediction = pred.text();
                    if (run.spec().firstSentenceOnly()) prediction = prediction.split("\\.", -1)[0];
                    Map<String, Double> scores = scorer.score(prediction, e);
                    scores.forEach(out::add);
                    out.addRaw(rawLine(e, pred, prediction, scores));
                }
                pb.stepBy(batch.size());
            }
        }
    }

    /**
     * lcm_generation samples: documents of the LCM dataset (those longer than {@code prompt_len} when it splits
     * them), with the dataset's prefix/suffix texts embedded as extra concepts.
     */
    private List<Example> lcmExamples(Run run, DatasetOptions d) {
        Map<String, Object> a = run.args();
        Dataset ds = ExampleLoader.lcmDataset(run.name(), d, predictor);
        int dim = predictor.dim();
        Integer promptLen = TaskArgs.intArg(a, "prompt_len");
        List<Document> docs = ExampleLoader.documents(ds, dim, settings.maxSamples(),
                doc -> doc.hasTarget() || promptLen == null || doc.sourceLength() > promptLen);
        Affixes affixes = new Affixes(d.str("source_prefix_text"), d.str("source_suffix_text"), d.str("target_prefix_text"), d.str("target_suffix_text"));
        Integer maxGenLen = TaskArgs.intArg(a, "max_gen_len");
        return ExampleLoader.lcmGenerationExamples(run.name(), docs, promptLen, maxGenLen == null ? DEFAULT_MAX_GEN_LEN : maxGenLen,
                affixes.withVectors(affixes.isEmpty() ? Map.of() : AffixEmbedding.embed(affixes, predictor.concepts().encoder(), predictor.concepts().encoderLang()), dim));
    }

    /** The raw-results line of one sample. */
    private Map<String, Object> rawLine(Example e, Predictor.Prediction pred, String prediction, Map<String, Double> scores) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("index", e.index());
        if (e.id() != null) line.put("id", e.id());
        line.put("text_prompts", e.promptText());
        line.put("prediction_texts", pred.texts());
        line.put("prediction", prediction);
        line.put("targets", e.targets());
        if (e.source() != null) line.put("source", e.source());
        line.put("metrics", scores);
        if (!settings.logOnlyText()) {
            line.put("prediction_embed_shape", List.of(pred.embed().length, pred.embed().length == 0 ? 0 : pred.embed()[0].length));
            // the concepts of the sample, to raw_results/<run>.pt under the reference's renamed column names
            if (e.promptConcepts() != null) line.put("_source_column", e.promptConcepts());
            if (e.targetConcepts() != null) line.put("_target_column", e.targetConcepts());
        }
        return line;
    }
}
