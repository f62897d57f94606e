package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.Document;
import dev.lcm4j.eval.metrics.ConceptMetrics;
import dev.lcm4j.torch.Noise;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import me.tongfei.progressbar.ProgressBar;

/**
 * lcm_next_sentence, the paper's teacher-forced pre-training metrics: for every document of two or more sentences the
 * predictor predicts each concept from the true ones before it; l2, CA, CA reference and PAR are averaged over all
 * positions, and with {@code round_trip} (default) each prediction is decoded and re-encoded for round_trip_l2.
 */
final class NextSentenceTaskRunner implements TaskRunner {
    private final Predictor predictor;
    private final Settings settings;

    NextSentenceTaskRunner(Predictor predictor, Settings settings) {
        this.predictor = predictor;
        this.settings = settings;
    }

    /**
     * The decoded predictions, in position order, and the L2 distance and cosine of each re-encoded one to the true
     * concept.
     */
    private record RoundTrip(List<String> texts, double[] l2, double[] cos) {
    }

    @Override
    public void run(Run run, DatasetOptions d, Results sink) {
        Dataset ds = ExampleLoader.lcmDataset(run.name(), d, predictor);
        int dim = predictor.dim();
        Integer maxPrompt = TaskArgs.intArg(run.args(), "max_prompt_len");
        List<Document> docs = ExampleLoader.documents(ds, dim, settings.maxSamples(), doc -> doc.sourceLength() >= 2);
        if (docs.isEmpty()) throw new LcmException("task " + run.name() + ": no document of " + ds.name() + " has 2 or more sentences");
        List<String> extra = TaskArgs.extraMetrics(run.args(), TaskArgs.validMetrics(run.spec()), run.name());
        boolean roundTrip = !Boolean.FALSE.equals(run.args().get("round_trip"));
        if (extra.contains("round_trip_cos") && !roundTrip) {
            throw new LcmException("task " + run.name() + ": extra metric round_trip_cos decodes and re-encodes the predictions; remove it or drop \"round_trip\": false");
        }
        try (ProgressBar pb = settings.progressBar(run.name(), docs.size())) {
            for (int i = 0, b = 0; i < docs.size(); i += settings.batchSize(), b++) {
                if (!settings.shard().owns(b)) continue;
                List<Document> batch = docs.subList(i, Math.min(docs.size(), i + settings.batchSize()));
                List<float[][]> targets = new ArrayList<>();
                long[] seeds = new long[batch.size()];
                for (int k = 0; k < batch.size(); k++) {
                    targets.add(firstConcepts(batch.get(k).embeddings(), maxPrompt));
                    seeds[k] = Noise.seedFor(settings.seed(), i + k);
                }
                List<float[][]> preds = predictor.predictNext(targets, seeds);
                List<ConceptMetrics.Position> pos = ConceptMetrics.teacherForced(targets, preds);
                RoundTrip rt = roundTrip ? roundTrip(pos, preds, targets) : null;
                score(i, batch, pos, rt, vectorMetrics(extra, pos, preds, targets, rt), sink.batch(b));
                pb.stepBy(batch.size());
            }
        }
    }

    /** The document's first {@code maxPrompt} concepts (all of them when maxPrompt is null or not positive). */
    private static float[][] firstConcepts(float[][] x, Integer maxPrompt) {
        return maxPrompt != null && maxPrompt > 0 && x.length > maxPrompt ? Arrays.copyOf(x, maxPrompt) : x;
    }

    /** Decodes every predicted concept to a sentence and re-encodes it, to compare with the true concept. */
    private RoundTrip roundTrip(List<ConceptMetrics.Position> pos, List<float[][]> preds, List<float[][]> targets) {
        float[][] predicted = new float[pos.size()][];
        for (int k = 0; k < pos.size(); k++) predicted[k] = preds.get(pos.get(k).document())[pos.get(k).position()];
        List<String> texts = predictor.concepts().decode(predicted);
        float[][] reencoded = predictor.concepts().encode(texts);
        double[] l2 = new double[pos.size()], cos = new double[pos.size()];
        for (int k = 0; k < pos.size(); k++) {
            float[] truth = targets.get(pos.get(k).document())[pos.get(k).position()];
            l2[k] = ConceptMetrics.l2(reencoded[k], truth);
            cos[k] = ConceptMetrics.cosine(reencoded[k], truth);
        }
        return new RoundTrip(texts, l2, cos);
    }

    /**
     * The requested {@code extra_metrics}, one array per metric in position order: cos_sim of each prediction with its
     * true concept; cosine_based_match, whether the document's true concept nearest in cosine to the prediction of
     * x_n is x_n itself (the choices are all of the document's concepts); round_trip_cos, the cosine of the re-encoded
     * decoded prediction with x_n.
     */
    private static Map<String, double[]> vectorMetrics(List<String> extra, List<ConceptMetrics.Position> pos, List<float[][]> preds,
            List<float[][]> targets, RoundTrip rt) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (String m : extra) {
            double[] v = new double[pos.size()];
            for (int k = 0; k < pos.size(); k++) {
                ConceptMetrics.Position p = pos.get(k);
                float[] pred = preds.get(p.document())[p.position()];
                float[][] doc = targets.get(p.document());
                v[k] = switch (m) {
                    case "cos_sim" -> ConceptMetrics.cosine(pred, doc[p.position()]);
                    case "cosine_based_match" -> ConceptMetrics.cosineBasedMatch(pred, doc, p.position());
                    case "round_trip_cos" -> rt.cos()[k];
                    default -> throw new LcmException("unknown vector metric " + m);
                };
            }
            out.put(m, v);
        }
        return out;
    }

    /**
     * Reports every position's metrics (the run's metrics average over all positions) and one raw line per document
     * with its own means; {@code first} is the batch's offset in the task's documents, {@code rt} null without round trip.
     */
    private static void score(int first, List<Document> batch, List<ConceptMetrics.Position> pos, RoundTrip rt,
            Map<String, double[]> extra, Results.Batch sink) {
        Map<Integer, Map<String, List<Double>>> perDoc = new TreeMap<>();
        Map<Integer, List<String>> perDocText = new TreeMap<>();
        for (int k = 0; k < pos.size(); k++) {
            ConceptMetrics.Position p = pos.get(k);
            Map<String, Double> s = new LinkedHashMap<>();
            s.put("l2", p.l2());
            if (rt != null) s.put("round_trip_l2", rt.l2()[k]);
            s.put("ca", p.ca());
            s.put("ca_reference", p.caReference());
            s.put("par", p.par());
            for (Map.Entry<String, double[]> x : extra.entrySet()) s.put(x.getKey(), x.getValue()[k]);
            Map<String, List<Double>> dm = perDoc.computeIfAbsent(p.document(), x -> new LinkedHashMap<>());
            s.forEach((m, v) -> {
                sink.add(m, v);
                dm.computeIfAbsent(m, x -> new ArrayList<>()).add(v);
            });
            if (rt != null) perDocText.computeIfAbsent(p.document(), x -> new ArrayList<>()).add(rt.texts().get(k));
        }
        for (Map.Entry<Integer, Map<String, List<Double>>> e : perDoc.entrySet()) {
            Document doc = batch.get(e.getKey());
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("index", first + e.getKey());
            if (doc.id() != null) line.put("id", doc.id());
            if (doc.sentences() != null) line.put("sentences", doc.sentences());
            if (rt != null) line.put("prediction_texts", perDocText.get(e.getKey()));
            Map<String, Object> m = new LinkedHashMap<>();
            e.getValue().forEach((k, v) -> m.put(k, Results.mean(v)));
            m.put("positions", e.getValue().get("l2").size());
            line.put("metrics", m);
            sink.addRaw(line);
        }
    }
}
