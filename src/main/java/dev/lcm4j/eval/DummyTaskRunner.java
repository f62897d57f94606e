package dev.lcm4j.eval;

import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.Document;
import dev.lcm4j.eval.metrics.ConceptMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference's DummyTask (dummy_json_generation on text rows, dummy_generation on LCM parquet): the prediction is
 * the prompt itself and metric {@code m1} is the mean L2 distance between them (0). It exercises data loading, prompt
 * assembly and the output files without a model.
 */
final class DummyTaskRunner implements TaskRunner {
    private final Settings settings;

    DummyTaskRunner(Settings settings) {
        this.settings = settings;
    }

    @Override
    public void run(Run run, DatasetOptions d, Results sink) {
        List<Example> examples = examples(run, d);
        for (int i = 0, b = 0; i < examples.size(); i += settings.batchSize(), b++) {
            if (!settings.shard().owns(b)) continue;
            Results.Batch out = sink.batch(b);
            for (Example e : examples.subList(i, Math.min(examples.size(), i + settings.batchSize()))) {
                double m1 = 0;
                if (e.promptConcepts() != null && e.promptConcepts().length > 0) {
                    for (float[] v : e.promptConcepts()) m1 += ConceptMetrics.l2(v, v);
                    m1 /= e.promptConcepts().length;
                }
                out.add("m1", m1);
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("index", e.index());
                line.put("text_prompts", e.promptText());
                line.put("prediction", e.promptText());
                line.put("metrics", Map.of("m1", m1));
                out.addRaw(line);
            }
        }
    }

    private List<Example> examples(Run run, DatasetOptions d) {
        if (run.spec().kind() == TaskSpec.Kind.DUMMY_JSON) return ExampleLoader.textExamples(run.spec(), d, run.args(), settings.maxSamples());
        Dataset ds = ExampleLoader.lcmDataset(run.name(), d);
        List<Document> docs = ExampleLoader.documents(ds, 0, settings.maxSamples()); // 0: any dimension
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            Document doc = docs.get(i);
            examples.add(new Example(i, doc.id(), null, doc.sentences() == null ? "" : String.join(" ", doc.sentences()),
                    doc.embeddings(), null, List.of(), null));
        }
        return examples;
    }
}
