package dev.lcm4j.eval;

import dev.lcm4j.concepts.AffixEmbedding;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lcm4j.LcmException;
import dev.lcm4j.data.Affixes;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.Document;
import dev.lcm4j.eval.metrics.ConceptMetrics;
import dev.lcm4j.eval.metrics.NltkBleu;
import dev.lcm4j.eval.metrics.Rouge;
import dev.lcm4j.eval.metrics.SacreBleu;
import dev.lcm4j.eval.metrics.TextMetrics;
import dev.lcm4j.inference.TeacherForcedPredictor;
import dev.lcm4j.io.AtomicFiles;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.io.TensorBoardWriter;
import dev.lcm4j.text.SentenceSplitters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.bytedeco.pytorch.Tensor;

/**
 * Runs evaluation tasks with a predictor and writes the reference's output layout under {@code dump_dir}:
 * <ul>
 *   <li>{@code results/<run>.json}: {@code {"results": {metric: mean}, "configs": {...}}} (indent 4); an existing file
 *       is reused unless {@code no_resume};</li>
 *   <li>{@code raw_results/<run>/<run>.json}: JSON lines, one per sample (prompt, prediction, targets, scores);</li>
 *   <li>{@code metrics.eval.jsonl}: one appended line per run, {@code {"global_step", "created_at", "<run>/<metric>"}};</li>
 *   <li>{@code tb/}: TensorBoard scalars {@code eval/<run>/<metric>} at the model's step;</li>
 *   <li>{@code metadata.jsonl}: one appended line per invocation (time, command, config, task configs).</li>
 * </ul>
 * Every file is written to a temporary name and renamed; the appended logs get whole lines.
 */
public final class Evaluator {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Metrics any text task can add with {@code --task_args '{"extra_metrics": [...]}'}. */
    public static final List<String> EXTRA_METRICS = List.of("rouge1", "bleu", "sentence_bleu", "exact_match", "f1",
            "edit_distance", "longest_common_substring", "memorization_score", "nltk_sentence_bleu");

    /** Command-level options. */
    public record Options(List<String> tasks, DatasetOptions dataset, String datasetDir, Map<String, Object> taskArgs,
                          Integer maxSamples, int batchSize, Path dumpDir, Path metricLogDir, Path tbLogDir,
                          boolean showProgress, boolean noResume, boolean logOnlyText, long seed, String command,
                          Map<String, Object> config) {
    }

    private final Options opt;
    private final LcmPredictor predictor;

    public Evaluator(Options opt, LcmPredictor predictor) {
        this.opt = opt;
        this.predictor = predictor;
    }

    /** Runs every task (and every grid point of its grouped task_args); returns run name -> metrics. */
    public Map<String, Map<String, Double>> run() {
        List<Run> runs = new ArrayList<>();
        for (String t : opt.tasks()) runs.addAll(unroll(t, opt.taskArgs()));
        appendLine(opt.dumpDir().resolve("metadata.jsonl"), metadata(runs));
        Map<String, Map<String, Double>> all = new LinkedHashMap<>();
        for (Run r : runs) all.put(r.name, runOne(r));
        return all;
    }

    /** One task with its arguments and run name. */
    record Run(String name, TaskSpec spec, Map<String, Object> args) {
    }

    /**
     * The reference's {@code unroll_configs}: arguments grouped under the task's name are merged over the ungrouped
     * ones; list values of grouped arguments make a grid; grouped scalar values that differ from the task default
     * are appended to the run name as {@code .key_value}.
     */
    static List<Run> unroll(String task, Map<String, Object> taskArgs) {
        TaskSpec spec = Tasks.spec(task);
        Map<String, Object> common = new LinkedHashMap<>(), grouped = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : taskArgs.entrySet()) {
            if (e.getKey().equals(task) && e.getValue() instanceof Map<?, ?> m) {
                for (Map.Entry<?, ?> g : m.entrySet()) grouped.put(String.valueOf(g.getKey()), g.getValue());
            } else if (!isTaskName(e.getKey())) {
                common.put(e.getKey(), e.getValue());
            }
        }
        List<Map<String, Object>> grid = new ArrayList<>();
        grid.add(new LinkedHashMap<>());
        for (Map.Entry<String, Object> e : grouped.entrySet()) {
            List<?> values = e.getValue() instanceof List<?> l && !(spec.defaults().get(e.getKey()) instanceof List) ? l : List.of(e.getValue());
            List<Map<String, Object>> next = new ArrayList<>();
            for (Map<String, Object> g : grid) for (Object v : values) {
                Map<String, Object> m = new LinkedHashMap<>(g);
                m.put(e.getKey(), v);
                next.add(m);
            }
            grid = next;
        }
        List<Run> runs = new ArrayList<>();
        for (Map<String, Object> g : grid) {
            Map<String, Object> args = new LinkedHashMap<>(spec.defaults());
            Map<String, Object> given = new LinkedHashMap<>(common);
            given.putAll(g);
            for (Map.Entry<String, Object> e : given.entrySet()) {
                if (!spec.defaults().containsKey(e.getKey()) && !e.getKey().equals("extra_metrics") && !e.getKey().equals("rouge_use_stemmer")) {
                    throw new LcmException("task " + task + " has no argument '" + e.getKey() + "' (--task_args); its arguments: "
                            + String.join(", ", spec.defaults().keySet()) + ", extra_metrics, rouge_use_stemmer");
                }
                args.put(e.getKey(), e.getValue());
            }
            StringBuilder name = new StringBuilder(task);
            for (Map.Entry<String, Object> e : g.entrySet()) {
                Object v = e.getValue();
                if (v instanceof Map || v instanceof List) continue;
                if (!String.valueOf(v).equals(String.valueOf(spec.defaults().get(e.getKey())))) name.append('.').append(e.getKey()).append('_').append(v);
            }
            runs.add(new Run(name.toString(), spec, args));
        }
        return runs;
    }

    private static boolean isTaskName(String key) {
        try {
            Tasks.spec(key);
            return true;
        } catch (LcmException e) {
            return false;
        }
    }

    // --------------------------------------------------------------------------------------------------- one run

    private Map<String, Double> runOne(Run run) {
        Path resultFile = opt.dumpDir().resolve("results").resolve(run.name + ".json");
        if (Files.exists(resultFile) && !opt.noResume()) {
            try {
                Map<String, Double> cached = new LinkedHashMap<>();
                JSON.readTree(resultFile.toFile()).get("results").fields().forEachRemaining(e -> cached.put(e.getKey(), e.getValue().asDouble()));
                System.err.println("evaluate: " + run.name + " already done (" + resultFile + "); reusing it (--no_resume to redo)");
                return cached;
            } catch (IOException | RuntimeException e) {
                throw new LcmException(resultFile + " is not a readable results file; delete it or pass --no_resume", e);
            }
        }
        DatasetOptions d = opt.dataset().copy();
        run.spec.dataset().apply(d, opt.datasetDir(), run.args);
        List<Map<String, Object>> raw = new ArrayList<>();
        Map<String, List<Double>> values = new LinkedHashMap<>();
        switch (run.spec.kind()) {
            case TEXT_GENERATION, LCM_GENERATION -> generation(run, d, raw, values);
            case LCM_NEXT_SENTENCE -> nextSentence(run, d, raw, values);
            case DUMMY_JSON, DUMMY_PARQUET -> dummy(run, d, raw, values);
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (Map.Entry<String, List<Double>> e : values.entrySet()) metrics.put(e.getKey(), mean(e.getValue()));
        write(run, d, raw, metrics);
        return metrics;
    }

    /** Mean ignoring NaNs (the reference's AverageMetric). */
    static double mean(List<Double> v) {
        double s = 0;
        int n = 0;
        for (double x : v) if (!Double.isNaN(x)) {
            s += x;
            n++;
        }
        return n == 0 ? Double.NaN : s / n;
    }

    private ProgressBar bar(String name, long max) {
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(name).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500).setConsumer(new ConsoleProgressBarConsumer(System.err));
        if (!opt.showProgress()) b.setConsumer(new me.tongfei.progressbar.DelegatingProgressBarConsumer(s -> { }));
        return b.build();
    }

    private Integer intArg(Map<String, Object> a, String k) {
        Object v = a.get(k);
        if (v == null) return null;
        if (v instanceof Number n) return n.intValue();
        throw new LcmException("task argument " + k + " must be a number, got " + v);
    }

    private Double doubleArg(Map<String, Object> a, String k) {
        Object v = a.get(k);
        if (v == null) return null;
        if (v instanceof Number n) return n.doubleValue();
        throw new LcmException("task argument " + k + " must be a number, got " + v);
    }

    private Dataset checkedLcmDataset(Run run, DatasetOptions d) {
        Dataset ds = ExampleLoader.lcmDataset(run.name, d);
        Object dataEncoder = ds.card() == null ? null : ds.card().extra().get("concept_encoder");
        Object modelEncoder = predictor.card() == null ? null : predictor.card().raw().get("concept_encoder");
        if (dataEncoder != null && modelEncoder != null && !String.valueOf(dataEncoder).equals(String.valueOf(modelEncoder))) {
            throw new LcmException("dataset " + ds.name() + " is in the concept space of " + dataEncoder + " but model card '"
                    + predictor.card().name() + "' was trained in that of " + modelEncoder + "; evaluate on data embedded with " + modelEncoder);
        }
        return ds;
    }

    private void generation(Run run, DatasetOptions d, List<Map<String, Object>> raw, Map<String, List<Double>> values) {
        Map<String, Object> a = run.args;
        List<Example> examples;
        if (run.spec.kind() == TaskSpec.Kind.TEXT_GENERATION) {
            examples = ExampleLoader.textExamples(run.spec, d, a, opt.maxSamples());
        } else {
            Dataset ds = checkedLcmDataset(run, d);
            int dim = predictor.model().sonarEmbedDim();
            Integer promptLen = intArg(a, "prompt_len");
            List<Document> docs = ExampleLoader.documents(ds, dim, opt.maxSamples(),
                    doc -> doc.hasTarget() || promptLen == null || doc.sourceLength() > promptLen);
            Affixes affixes = new Affixes(d.str("source_prefix_text"), d.str("source_suffix_text"), d.str("target_prefix_text"), d.str("target_suffix_text"));
            examples = ExampleLoader.lcmGenerationExamples(run.name, docs, intArg(a, "prompt_len"),
                    intArg(a, "max_gen_len") == null ? 128 : intArg(a, "max_gen_len"),
                    affixes.withVectors(affixes.isEmpty() ? Map.of() : AffixEmbedding.embed(affixes, predictor.encoder(), predictor.encoderLang()), dim));
        }
        if (examples.isEmpty()) throw new LcmException("task " + run.name + " found no samples to evaluate");
        boolean stem = Boolean.TRUE.equals(a.get("rouge_use_stemmer"));
        Rouge rouge = run.spec.rougeTypes().isEmpty() ? null : new Rouge(run.spec.rougeTypes(), stem, SentenceSplitters.create(SentenceSplitters.DEFAULT));
        List<String> extra = extraMetrics(a);
        try (ProgressBar pb = bar(run.name, examples.size())) {
            for (int i = 0; i < examples.size(); i += opt.batchSize()) {
                List<Example> batch = examples.subList(i, Math.min(examples.size(), i + opt.batchSize()));
                List<float[][]> prompts = new ArrayList<>();
                for (Example e : batch) prompts.add(e.promptConcepts() != null ? e.promptConcepts() : predictor.encodeText(e.promptText()));
                List<LcmPredictor.Prediction> preds = predictor.generate(prompts, intArg(a, "max_prompt_len"), intArg(a, "min_gen_len"),
                        intArg(a, "max_gen_len"), doubleArg(a, "max_gen_len_ratio"), a.get("eos_config"));
                for (int k = 0; k < batch.size(); k++) {
                    Example e = batch.get(k);
                    String prediction = preds.get(k).text();
                    if (run.spec.firstSentenceOnly()) prediction = prediction.split("\\.", -1)[0];
                    Map<String, Double> scores = new LinkedHashMap<>();
                    if (rouge != null && !e.targets().isEmpty()) rouge.scoreMulti(e.targets(), prediction).forEach((t, s) -> scores.put(t, s.fmeasure()));
                    if (run.spec.ngram() && e.source() != null) {
                        scores.putAll(TextMetrics.ngramScore(prediction, e.source()));
                        scores.put("ovl_3", TextMetrics.wordOverlap3(prediction, e.source()));
                        scores.put("rep_4", TextMetrics.wordRepetition4(prediction));
                    }
                    for (String m : extra) scores.put(m, extraMetric(m, prediction, e.targets()));
                    scores.forEach((m, v) -> values.computeIfAbsent(m, x -> new ArrayList<>()).add(v));
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("index", e.index());
                    if (e.id() != null) line.put("id", e.id());
                    line.put("text_prompts", e.promptText());
                    line.put("prediction_texts", preds.get(k).texts());
                    line.put("prediction", prediction);
                    line.put("targets", e.targets());
                    if (e.source() != null) line.put("source", e.source());
                    line.put("metrics", scores);
                    if (!opt.logOnlyText()) line.put("prediction_embed_shape", List.of(preds.get(k).embed().length, preds.get(k).embed().length == 0 ? 0 : preds.get(k).embed()[0].length));
                    raw.add(line);
                }
                pb.stepBy(batch.size());
            }
        }
    }

    private static List<String> extraMetrics(Map<String, Object> a) {
        Object v = a.get("extra_metrics");
        if (v == null) return List.of();
        if (!(v instanceof List<?> l)) throw new LcmException("task argument extra_metrics must be a list, e.g. [\"bleu\", \"f1\"]");
        List<String> out = new ArrayList<>();
        for (Object o : l) {
            String m = String.valueOf(o);
            if (!EXTRA_METRICS.contains(m)) throw new LcmException("unknown metric '" + m + "' in extra_metrics; valid: " + String.join(", ", EXTRA_METRICS));
            out.add(m);
        }
        return out;
    }

    public static double extraMetric(String m, String prediction, List<String> targets) {
        if (targets.isEmpty()) return Double.NaN;
        List<String> p = TextMetrics.whitespaceTokens(prediction), t = TextMetrics.whitespaceTokens(targets.get(0));
        return switch (m) {
            case "rouge1" -> new Rouge(List.of("rouge1"), false, null).scoreMulti(targets, prediction).get("rouge1").fmeasure();
            // the reference's bleu(): corpus_bleu([prediction], [targets]) zips one stream with one hypothesis, so
            // only the first target is a reference (kept for comparable numbers, docs/quirks.md #27; sentence_bleu
            // uses them all)
            case "bleu" -> SacreBleu.corpusBleu(List.of(prediction), List.of(List.of(targets.get(0))));
            case "sentence_bleu" -> SacreBleu.sentenceBleu(prediction, targets);
            case "exact_match" -> TextMetrics.exactMatch(prediction, targets);
            case "f1" -> TextMetrics.f1(prediction, targets);
            case "edit_distance" -> TextMetrics.editDistance(p, t);
            case "longest_common_substring" -> TextMetrics.longestCommonSubstring(p, t);
            case "memorization_score" -> t.isEmpty() ? Double.NaN : TextMetrics.memorizationScore(p, t);
            case "nltk_sentence_bleu" -> NltkBleu.sentenceBleuMethod1(t, p);
            default -> throw new LcmException("unknown metric " + m);
        };
    }

    private void nextSentence(Run run, DatasetOptions d, List<Map<String, Object>> raw, Map<String, List<Double>> values) {
        Dataset ds = checkedLcmDataset(run, d);
        int dim = predictor.model().sonarEmbedDim();
        Integer maxPrompt = intArg(run.args, "max_prompt_len");
        List<Document> docs = new ArrayList<>();
        docs.addAll(ExampleLoader.documents(ds, dim, opt.maxSamples(), doc -> doc.sourceLength() >= 2));
        if (docs.isEmpty()) throw new LcmException("task " + run.name + ": no document of " + ds.name() + " has 2 or more sentences");
        boolean roundTrip = !Boolean.FALSE.equals(run.args.get("round_trip"));
        TeacherForcedPredictor tf = new TeacherForcedPredictor(predictor.model(), predictor.samplingOptions());
        try (ProgressBar pb = bar(run.name, docs.size())) {
            for (int i = 0; i < docs.size(); i += opt.batchSize()) {
                List<Document> batch = docs.subList(i, Math.min(docs.size(), i + opt.batchSize()));
                List<float[][]> targets = new ArrayList<>();
                for (Document doc : batch) {
                    float[][] x = doc.embeddings();
                    targets.add(maxPrompt != null && maxPrompt > 0 && x.length > maxPrompt ? java.util.Arrays.copyOf(x, maxPrompt) : x);
                }
                EmbeddingsBatch eb = EmbeddingsBatch.of(targets, null);
                List<float[][]> preds = new ArrayList<>();
                try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope();
                     org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
                    Tensor out = tf.predict(eb);   // [B, T, D]: position t predicts concept t + 1
                    float[] flat = Tensors.toFloats(out.contiguous());
                    long tmax = out.size(1);
                    for (int b = 0; b < batch.size(); b++) {
                        float[][] x = targets.get(b);
                        float[][] p = new float[x.length][];
                        for (int n = 1; n < x.length; n++) {
                            p[n] = new float[dim];
                            System.arraycopy(flat, (int) ((b * tmax + (n - 1)) * dim), p[n], 0, dim);
                        }
                        preds.add(p);
                    }
                }
                List<ConceptMetrics.Position> pos = ConceptMetrics.teacherForced(targets, preds);
                double[] rt = new double[pos.size()];
                List<String> decoded = List.of();
                if (roundTrip) {
                    float[][] all = new float[pos.size()][];
                    for (int k = 0; k < pos.size(); k++) all[k] = preds.get(pos.get(k).document())[pos.get(k).position()];
                    decoded = predictor.decode(all);
                    float[][] re = predictor.encoder().encode(decoded, predictor.encoderLang());
                    for (int k = 0; k < pos.size(); k++) rt[k] = ConceptMetrics.l2(re[k], targets.get(pos.get(k).document())[pos.get(k).position()]);
                }
                Map<Integer, Map<String, List<Double>>> perDoc = new TreeMap<>();
                Map<Integer, List<String>> perDocText = new TreeMap<>();
                for (int k = 0; k < pos.size(); k++) {
                    ConceptMetrics.Position p = pos.get(k);
                    Map<String, Double> s = new LinkedHashMap<>();
                    s.put("l2", p.l2());
                    if (roundTrip) s.put("round_trip_l2", rt[k]);
                    s.put("ca", p.ca());
                    s.put("ca_reference", p.caReference());
                    s.put("par", p.par());
                    Map<String, List<Double>> dm = perDoc.computeIfAbsent(p.document(), x -> new LinkedHashMap<>());
                    s.forEach((m, v) -> {
                        values.computeIfAbsent(m, x -> new ArrayList<>()).add(v);   // averaged over all positions
                        dm.computeIfAbsent(m, x -> new ArrayList<>()).add(v);
                    });
                    if (roundTrip) perDocText.computeIfAbsent(p.document(), x -> new ArrayList<>()).add(decoded.get(k));
                }
                for (Map.Entry<Integer, Map<String, List<Double>>> e : perDoc.entrySet()) {
                    Document doc = batch.get(e.getKey());
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("index", i + e.getKey());
                    if (doc.id() != null) line.put("id", doc.id());
                    if (doc.sentences() != null) line.put("sentences", doc.sentences());
                    if (roundTrip) line.put("prediction_texts", perDocText.get(e.getKey()));
                    Map<String, Object> m = new LinkedHashMap<>();
                    e.getValue().forEach((k2, v) -> m.put(k2, mean(v)));
                    m.put("positions", e.getValue().get("l2").size());
                    line.put("metrics", m);
                    raw.add(line);
                }
                pb.stepBy(batch.size());
            }
        }
    }

    private void dummy(Run run, DatasetOptions d, List<Map<String, Object>> raw, Map<String, List<Double>> values) {
        List<Example> examples;
        if (run.spec.kind() == TaskSpec.Kind.DUMMY_JSON) {
            examples = ExampleLoader.textExamples(run.spec, d, run.args, opt.maxSamples());
        } else {
            Dataset ds = ExampleLoader.lcmDataset(run.name, d);
            List<Document> docs = ExampleLoader.documents(ds, -1, opt.maxSamples());
            examples = new ArrayList<>();
            for (int i = 0; i < docs.size(); i++) {
                Document doc = docs.get(i);
                examples.add(new Example(i, doc.id(), null, doc.sentences() == null ? "" : String.join(" ", doc.sentences()),
                        doc.embeddings(), null, List.of(), null));
            }
        }
        // DummyTask: the prediction is the prompt itself; m1 is the mean L2 distance between them (0)
        for (Example e : examples) {
            double m1 = 0;
            if (e.promptConcepts() != null && e.promptConcepts().length > 0) {
                for (float[] v : e.promptConcepts()) m1 += ConceptMetrics.l2(v, v);
                m1 /= e.promptConcepts().length;
            }
            values.computeIfAbsent("m1", x -> new ArrayList<>()).add(m1);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("index", e.index());
            line.put("text_prompts", e.promptText());
            line.put("prediction", e.promptText());
            line.put("metrics", Map.of("m1", m1));
            raw.add(line);
        }
    }

    // ------------------------------------------------------------------------------------------------- outputs

    private long globalStep() {
        if (predictor.card() == null || predictor.card().checkpoint() == null) return -1;
        Matcher m = Pattern.compile("step_(\\d+)").matcher(predictor.card().checkpoint());
        long step = -1;
        while (m.find()) step = Long.parseLong(m.group(1));
        return step;
    }

    private void write(Run run, DatasetOptions d, List<Map<String, Object>> raw, Map<String, Double> metrics) {
        try {
            Path rawFile = opt.dumpDir().resolve("raw_results").resolve(run.name).resolve(run.name + ".json");
            Files.createDirectories(rawFile.getParent());
            StringBuilder sb = new StringBuilder();
            for (Map<String, Object> line : raw) sb.append(JSON.writeValueAsString(sanitize(line))).append('\n');
            AtomicFiles.writeString(rawFile, sb.toString());

            Map<String, Object> configs = new LinkedHashMap<>();
            configs.put("task", run.spec.name());
            configs.put("task_args", run.args);
            configs.put("dataset", d.asMap());
            configs.put("max_samples", opt.maxSamples());
            configs.put("batch_size", opt.batchSize());
            configs.put("seed", opt.seed());
            configs.put("predictor", opt.config());
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("results", sanitize(metrics));
            result.put("configs", configs);
            Path resultFile = opt.dumpDir().resolve("results").resolve(run.name + ".json");
            Files.createDirectories(resultFile.getParent());
            AtomicFiles.writeString(resultFile, PRETTY.writeValueAsString(result));

            long step = globalStep();
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("global_step", step);
            line.put("created_at", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(Instant.now().atOffset(ZoneOffset.UTC)));
            metrics.forEach((k, v) -> line.put(run.name + "/" + k, v));
            Path logDir = opt.metricLogDir() != null ? opt.metricLogDir() : opt.dumpDir();
            appendLine(logDir.resolve("metrics.eval.jsonl"), sanitize(line));
            Path tb = opt.tbLogDir() != null ? opt.tbLogDir() : opt.dumpDir().resolve("tb");
            try (TensorBoardWriter w = new TensorBoardWriter(tb)) {
                for (Map.Entry<String, Double> e : metrics.entrySet()) {
                    if (!Double.isNaN(e.getValue())) w.scalar("eval/" + run.name + "/" + e.getKey(), e.getValue().floatValue(), Math.max(step, 0));
                }
            }
        } catch (IOException e) {
            throw new LcmException("cannot write evaluation results under " + opt.dumpDir() + ": " + e.getMessage(), e);
        }
    }

    /** JSON has no NaN: NaN and infinities become null. */
    @SuppressWarnings("unchecked")
    private static <T> T sanitize(T v) {
        if (v instanceof Double x && (x.isNaN() || x.isInfinite())) return null;
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(k, sanitize(x)));
            return (T) out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object x : l) out.add(sanitize(x));
            return (T) out;
        }
        return v;
    }

    private Map<String, Object> metadata(List<Run> runs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("timestamp", DateTimeFormatter.ofPattern("yyyy_MM_dd_HH_mm_ss").format(Instant.now().atOffset(ZoneOffset.UTC)));
        m.put("command", opt.command());
        m.put("lcm4j_version", "0.1.0");
        m.put("config", opt.config());
        Map<String, Object> tc = new LinkedHashMap<>();
        for (Run r : runs) tc.put(r.name, r.args);
        m.put("task_configs", tc);
        return m;
    }

    /** Appends one complete line (a single write of the whole line, so a kill never leaves half a line). */
    static synchronized void appendLine(Path file, Object json) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = (JSON.writeValueAsString(sanitize(json)) + "\n").getBytes(StandardCharsets.UTF_8);
            Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new LcmException("cannot append to " + file + ": " + e.getMessage(), e);
        }
    }
}
