package dev.lcm4j.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs evaluation tasks with a predictor: each task is unrolled into runs ({@link TaskArgs#unroll}), each run not
 * already done is executed by the {@link TaskRunner} of its task kind, its metrics are averaged (NaNs ignored) and
 * its outputs are written by {@link ResultsWriter}, which documents the layout under {@code dump_dir}.
 */
public final class Evaluator {
    /** Command-level options. */
    public record Options(List<String> tasks, DatasetOptions dataset, String datasetDir, Map<String, Object> taskArgs,
                          Integer maxSamples, int batchSize, Path dumpDir, Path metricLogDir, Path tbLogDir,
                          boolean showProgress, boolean noResume, boolean logOnlyText, long seed, String command,
                          Map<String, Object> config) {
    }

    private final Options opt;
    private final LcmPredictor predictor;
    private final ResultsWriter writer;
    private final TaskRunner.Settings settings;

    public Evaluator(Options opt, LcmPredictor predictor) {
        this.opt = opt;
        this.predictor = predictor;
        this.writer = new ResultsWriter(opt, predictor.card());
        this.settings = new TaskRunner.Settings(opt.maxSamples(), opt.batchSize(), opt.showProgress(), opt.logOnlyText());
    }

    /** Runs every task (and every grid point of its grouped task_args); returns run name -> metrics. */
    public Map<String, Map<String, Double>> run() {
        List<Run> runs = new ArrayList<>();
        for (String t : opt.tasks()) runs.addAll(TaskArgs.unroll(t, opt.taskArgs()));
        writer.writeMetadata(runs);
        Map<String, Map<String, Double>> all = new LinkedHashMap<>();
        for (Run r : runs) all.put(r.name(), runOne(r));
        return all;
    }

    private Map<String, Double> runOne(Run run) {
        Optional<Map<String, Double>> cached = writer.cached(run);
        if (cached.isPresent()) return cached.get();
        DatasetOptions d = opt.dataset().copy();
        run.spec().dataset().apply(d, opt.datasetDir(), run.args());
        Results results = new Results();
        runnerFor(run.spec().kind()).run(run, d, results);
        Map<String, Double> metrics = results.means();
        writer.write(run, d, results.raw(), metrics);
        return metrics;
    }

    private TaskRunner runnerFor(TaskSpec.Kind kind) {
        return switch (kind) {
            case TEXT_GENERATION, LCM_GENERATION -> new GenerationTaskRunner(predictor, settings);
            case LCM_NEXT_SENTENCE -> new NextSentenceTaskRunner(predictor, settings);
            case DUMMY_JSON, DUMMY_PARQUET -> new DummyTaskRunner(settings);
        };
    }
}
