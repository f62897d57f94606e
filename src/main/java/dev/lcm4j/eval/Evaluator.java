package dev.lcm4j.eval;

import dev.lcm4j.dist.DistributedGroup;
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
 *
 * <p>In a group of several processes every process is one {@link Shard}: it computes its batches of every run,
 * rank 0 gathers all batches, puts them back in the run's order, averages and writes exactly what a single process
 * writes; the other ranks write nothing. Rank 0 alone decides whether a run is already done (its results file) and
 * tells the others, so that every rank skips or computes the same runs, with or without a shared file system.
 */
public final class Evaluator {
    /** Command-level options. */
    public record Options(List<String> tasks, DatasetOptions dataset, String datasetDir, Map<String, Object> taskArgs,
                          Integer maxSamples, int batchSize, Path dumpDir, Path metricLogDir, Path tbLogDir,
                          boolean showProgress, boolean noResume, boolean logOnlyText, long seed, String command,
                          Map<String, Object> config, Double confidenceLevel, Integer maxIterationSteps) {
    }

    /** Rank 0's word on a run: skip it with these metrics, or compute it. */
    private static final String COMPUTE = "compute";

    private final Options opt;
    private final Predictor predictor;
    private final ResultsWriter writer;
    private final TaskRunner.Settings settings;
    private final DistributedGroup group;

    /** A single-process evaluator. */
    public Evaluator(Options opt, Predictor predictor) {
        this(opt, predictor, DistributedGroup.single());
    }

    /** An evaluator that is shard {@code group.rank()} of {@code group.worldSize()}. */
    public Evaluator(Options opt, Predictor predictor, DistributedGroup group) {
        this.opt = opt;
        this.predictor = predictor;
        this.group = group;
        this.writer = new ResultsWriter(opt, predictor.card());
        this.settings = new TaskRunner.Settings(sampleLimit(opt, group.worldSize()), opt.batchSize(), opt.showProgress(), opt.logOnlyText(),
                opt.seed(), new Shard(group.rank(), group.worldSize()));
    }

    /**
     * {@code max_samples}, capped by {@code max_iteration_steps}: the reference lets each of the W shards take that
     * many batches; batches are dealt to shards in turn, so that is the run's first steps x W batches.
     */
    static Integer sampleLimit(Options opt, int shards) {
        if (opt.maxIterationSteps() == null) return opt.maxSamples();
        long cap = (long) opt.maxIterationSteps() * opt.batchSize() * shards;
        int limit = (int) Math.min(Integer.MAX_VALUE, cap);
        return opt.maxSamples() == null ? limit : Math.min(opt.maxSamples(), limit);
    }

    /** The run names of {@code tasks} under {@code taskArgs}; checks every task argument (fails as {@link #run} would). */
    public static List<String> runNames(List<String> tasks, Map<String, Object> taskArgs) {
        List<String> names = new ArrayList<>();
        for (String t : tasks) for (Run r : TaskArgs.unroll(t, taskArgs)) names.add(r.name());
        return names;
    }

    /** Runs every task (and every grid point of its grouped task_args); returns run name -> metrics, on every rank. */
    public Map<String, Map<String, Double>> run() {
        List<Run> runs = new ArrayList<>();
        for (String t : opt.tasks()) runs.addAll(TaskArgs.unroll(t, opt.taskArgs()));
        if (group.isMain()) writer.writeMetadata(runs);
        Map<String, Map<String, Double>> all = new LinkedHashMap<>();
        for (Run r : runs) all.put(r.name(), runOne(r));
        // rank 0 serves the store the others read rank 0's last message from: it must not exit before they have
        group.barrier();
        return all;
    }

    private Map<String, Double> runOne(Run run) {
        String decision = null;
        if (group.isMain()) {
            Optional<Map<String, Double>> cached = writer.cached(run);
            decision = cached.isPresent() ? Results.metricsToJson(cached.get()) : COMPUTE;
        }
        decision = group.broadcastString(decision);
        if (!decision.equals(COMPUTE)) return Results.metricsFromJson(decision);

        DatasetOptions d = opt.dataset().copy();
        run.spec().dataset().apply(d, opt.datasetDir(), run.args());
        Results results = new Results();
        runnerFor(run.spec().kind()).run(run, d, results);
        if (!group.distributed()) {
            Map<String, Double> metrics = results.metrics(opt.confidenceLevel());
            writer.write(run, d, results.raw(), metrics);
            return metrics;
        }
        List<String> shards = group.gatherStrings(results.toJson());
        String metrics = null;
        if (group.isMain()) {
            Results merged = Results.merge(shards);
            Map<String, Double> m = merged.metrics(opt.confidenceLevel());
            writer.write(run, d, merged.raw(), m);
            metrics = Results.metricsToJson(m);
        }
        // the others learn the metrics once rank 0 has written them, so no rank goes on while the files are unwritten
        return Results.metricsFromJson(group.broadcastString(metrics));
    }

    private TaskRunner runnerFor(TaskSpec.Kind kind) {
        return switch (kind) {
            case TEXT_GENERATION, LCM_GENERATION -> new GenerationTaskRunner(predictor, settings);
            case LCM_NEXT_SENTENCE -> new NextSentenceTaskRunner(predictor, settings);
            case DUMMY_JSON, DUMMY_PARQUET -> new DummyTaskRunner(settings);
        };
    }
}
