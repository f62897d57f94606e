package dev.lcm4j.cli;

import dev.lcm4j.LcmException;
import dev.lcm4j.torch.Devices;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.text.Languages;
import dev.lcm4j.prepare.DocumentSources;
import dev.lcm4j.prepare.PrepareOptions;
import dev.lcm4j.prepare.Preparer;
import dev.lcm4j.prepare.SourceSpec;
import dev.lcm4j.text.SentenceSplitter;
import dev.lcm4j.text.SentenceSplitters;
import dev.lcm4j.text.SplitterOptions;
import dev.lcm4j.launch.Slurm;
import dev.lcm4j.launch.SlurmJobFollower;
import dev.lcm4j.launch.SlurmJobSpec;
import dev.lcm4j.launch.SlurmLauncher;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.lcm4j.concepts.retrieval.SentenceBank;

/**
 * {@code ./lcm prepare}: text to sentences to concept vectors to an LCM dataset, here or split over a SLURM array
 * ({@code --launcher submitit --nshards N}: task i prepares the shards i, i+N, ...; a job after them writes the
 * manifest, datacard and sentence bank once).
 */
@Command(name = "prepare", mixinStandardHelpOptions = true, description = {"Splits documents into sentences, embeds them and writes an LCM dataset "
        + "(parquet with split=train|validation partitions) and DIR/datacard.yaml. Rerun the same command to resume.",
        "--launcher submitit --nshards N submits a SLURM array of N tasks (each prepares every N-th shard) and a job that "
        + "finishes the dataset once they all succeeded; the result is byte for byte that of a local run."})
public final class PrepareCommand implements Callable<Integer> {
    public static final String STANDALONE = "standalone";

    @Option(names = "--input", required = true, description = "a file, a directory of files of --format, or 'europarl' (built-in corpus)")
    String input;
    @Option(names = "--format", defaultValue = "jsonl", description = "jsonl, csv or parquet (default ${DEFAULT-VALUE})")
    String format;
    @Option(names = {"--text-column", "--source-column"}, description = "the column of the text (default text); "
            + "--source-column is the same option, named for prompt/answer data: the prompt's column") String textColumn;
    @Option(names = "--target-column", description = "a second text column (the answer of prompt/answer data), split and embedded on its own;"
            + " the datacard names it target_column for +finetune=... and lcm_generation; needs --source-column") String targetColumn;
    @Option(names = "--id-column") String idColumn;
    @Option(names = "--split-column", description = "column naming each document's split; without it a seeded hash assigns train/validation")
    String splitColumn;
    @Option(names = "--lang", defaultValue = Languages.DEFAULT, description = "documents' language (FLORES-200)") String lang;
    @Option(names = "--lang-filter", negatable = true, description = "keep only documents identified as --lang (default: on for europarl, off otherwise)")
    Boolean langFilter;
    @Option(names = "--encoder", defaultValue = ConceptModels.DEFAULT_ENCODER) String encoder;
    @Option(names = "--splitter", defaultValue = SentenceSplitters.DEFAULT,
            description = "icu (default), opennlp, or sat:DIR (a segment-any-text ONNX export with its tokenizer.json)") String splitter;
    @Option(names = "--max-sentence-len", defaultValue = "256", description = "longest sentence in characters; longer ones are re-split (default ${DEFAULT-VALUE})")
    int maxSentenceLen;
    @Option(names = "--output", required = true) Path output;
    @Option(names = "--name", required = true) String name;
    @Option(names = "--max-docs", defaultValue = "0", description = "stop after N kept documents (0: all)") long maxDocs;
    @Option(names = "--shard-size", defaultValue = "1000", description = "documents per shard (unit of resume)") int shardSize;
    @Option(names = "--validation-fraction", defaultValue = "0.05") double validationFraction;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--token-budget", defaultValue = "8192", description = "padded tokens per encoder batch") int tokenBudget;
    @Option(names = "--max-batch-sentences", defaultValue = "256") int maxBatchSentences;
    @Option(names = "--threads", description = "default: all cores (in a SLURM job: --cpus-per-task)") Integer threads;
    @Option(names = "--overwrite", description = "replace a dataset already in --output") boolean overwrite;
    @Option(names = "--bank", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "also write DIR/sentence_bank.bin for the retrieval decoder (--decoder bank:DIR); default on") boolean bank;

    @Option(names = "--launcher", defaultValue = "standalone",
            description = "standalone (here, default) or submitit / slurm (a SLURM array job of --nshards tasks)") String launcher;
    @Option(names = "--nshards", description = "SLURM array tasks; task i prepares the shards whose index %% N == i (default 1)")
    Integer nshards;
    @Option(names = "--partition", description = "SLURM partition (default: the cluster's)") String partition;
    @Option(names = "--qos", description = "SLURM quality of service") String qos;
    @Option(names = "--account", description = "SLURM account") String account;
    @Option(names = "--cpus-per-task", defaultValue = "4", description = "cores per SLURM task (default ${DEFAULT-VALUE})") int cpusPerTask;
    @Option(names = "--mem-gb", defaultValue = "0", description = "memory per SLURM task in GB (0: the partition's default)") int memGb;
    @Option(names = "--timeout-min", defaultValue = "1440", description = "time limit of each SLURM task in minutes (default ${DEFAULT-VALUE})")
    int timeoutMin;
    @Option(names = "--log-folder", description = "SLURM scripts and logs (default: OUTPUT/executor_logs)") Path logFolder;
    @Option(names = {"--wait", "--follow"}, description = "with --launcher submitit: wait for the jobs, print their logs, exit with their status")
    boolean wait;

    // the submitted jobs' own modes; a user may run them by hand to redo one task or the merge
    @Option(names = "--array-task", hidden = true, description = "prepare the shards of array task I of --nshards") Integer arrayTask;
    @Option(names = "--array-merge", hidden = true, description = "finish a dataset whose shards the array tasks prepared") boolean arrayMerge;

    @picocli.CommandLine.Mixin DeviceOption device = new DeviceOption();

    @Option(names = "--engine", defaultValue = STANDALONE,
            description = "standalone (this JVM, default) or spark (Apache Spark through the lcm4j-spark module: local[N] here, "
                    + "see docs/spark.md for clusters); both write the same dataset")
    String engine;
    @Option(names = "--spark-master", description = "with --engine spark: the Spark master (default: local[--threads], "
            + "or all cores; spark-submit's own master when started by spark-submit)")
    String sparkMaster;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Devices.checkSyntax(device.device, "--device"); // resolved where the work runs (here, or in the SLURM tasks)
        if (!engine.equals(STANDALONE)) return runEngine();
        if (sparkMaster != null) throw new LcmException("--spark-master is a setting of --engine spark; add --engine spark or drop it");
        boolean slurm = switch (launcher) {
            case "standalone" -> false;
            case "submitit", "slurm" -> true;
            default -> throw new LcmException("--launcher must be standalone or submitit (alias slurm), got '" + launcher + "'");
        };
        if (nshards != null && nshards < 1) throw new LcmException("--nshards must be at least 1, got " + nshards);
        if (slurm) {
            if (arrayTask != null || arrayMerge) throw new LcmException("--array-task and --array-merge are the submitted jobs' modes; drop --launcher " + launcher);
            return submit();
        }
        if (wait) throw new LcmException("--wait follows submitted SLURM jobs; it needs --launcher submitit");
        if (arrayTask != null && arrayMerge) throw new LcmException("--array-task and --array-merge exclude each other");
        if (nshards != null && arrayTask == null) {
            throw new LcmException("--nshards splits the work over a SLURM array; it needs --launcher submitit");
        }
        ConceptModels.Placement placement = device.placement(); // before anything is read or written
        Preparer.ArrayTask task = arrayTask == null ? null : new Preparer.ArrayTask(arrayTask, nshards == null ? 1 : nshards);
        PrepareOptions opt = options(threads != null ? threads : Runtime.getRuntime().availableProcessors(), overwrite && task == null && !arrayMerge);
        SentenceSplitter split = newSplitter();
        DocumentSources.check(opt.source()); // input errors before the (slow) encoder load
        try (ConceptEncoder enc = newEncoder(placement);
             ProgressBar bar = Progress.bar("prepare", maxDocs > 0 && task == null ? maxDocs : -1)) {
            long start = System.nanoTime();
            long[] fresh = new long[2];
            Preparer.Listener listener = (index, docs, sentences, resumed) -> {
                bar.stepBy(docs);
                if (!resumed) {
                    fresh[0] += docs;
                    fresh[1] += sentences;
                }
                double s = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
                bar.setExtraMessage(String.format(" %.1f docs/s %.1f sentences/s", fresh[0] / s, fresh[1] / s));
            };
            Preparer preparer = new Preparer(opt, enc, split);
            if (task != null) {
                Preparer.TaskResult t = preparer.runTask(task, listener);
                bar.close();
                System.out.printf("array task %d of %d: %d of %d shards are this task's; %d prepared now, %d already done%n",
                        task.index(), task.count(), t.ownedShards(), t.totalShards(), t.preparedShards(), t.resumedShards());
                return 0; // the merge job writes the manifest, datacard and bank once every task is done
            }
            Preparer.Result r = arrayMerge ? preparer.merge(listener) : preparer.run(listener);
            bar.close();
            printSplits(r);
            System.out.printf("prepared %s with %s (dim %d): %d shards (%d resumed), %d empty documents skipped%s; datacard %s%n",
                    name, enc.name(), enc.dim(), r.shards(), r.resumedShards(), r.skippedEmpty(),
                    opt.languageFilter() ? ", " + r.filteredLanguage() + " not " + lang : "", r.datacard());
        }
        if (bank) {
            Path file = SentenceBank.build(output);
            System.out.printf("sentence bank %s (decode with --decoder bank:%s)%n", file, output);
        }
        return 0;
    }

    /** --engine NAME: refuses what only this JVM's run has (SLURM, the array modes), then hands over to the engine. */
    private int runEngine() {
        if (!launcher.equals(STANDALONE)) {
            throw new LcmException("--launcher " + launcher + " submits SLURM jobs; --engine " + engine + " runs on its own "
                    + "cluster manager: drop one of them");
        }
        for (Object[] o : new Object[][] {{"--nshards", nshards}, {"--array-task", arrayTask}, {"--wait", wait ? true : null},
                {"--array-merge", arrayMerge ? true : null}}) {
            if (o[1] != null) throw new LcmException(o[0] + " belongs to --launcher submitit; --engine " + engine + " does not take it");
        }
        for (String slurmOption : List.of("--partition", "--qos", "--account", "--cpus-per-task", "--mem-gb", "--timeout-min", "--log-folder")) {
            if (spec.commandLine().getParseResult().hasMatchedOption(slurmOption)) {
                throw new LcmException(slurmOption + " is a SLURM setting of --launcher submitit; --engine " + engine
                        + " takes its resources from Spark (spark-submit's --executor-cores, --executor-memory, ...)");
            }
        }
        for (PrepareEngine e : java.util.ServiceLoader.load(PrepareEngine.class)) {
            if (e.name().equals(engine)) return e.run(this);
        }
        if (engine.equals("spark")) {
            throw new LcmException("--engine spark needs the lcm4j-spark module on the class path: run it through ./lcm "
                    + "(it builds lcm4j-spark on first use) or build it with 'mvn -q -DskipTests package' at the repository root");
        }
        throw new LcmException("--engine must be " + STANDALONE + " or spark, got '" + engine + "'");
    }

    /** Parses {@code ./lcm prepare}'s arguments (without the command name) as the CLI does; one error line when wrong. */
    public static PrepareCommand parse(List<String> args) {
        PrepareCommand c = new PrepareCommand();
        picocli.CommandLine cl = new picocli.CommandLine(c);
        try {
            cl.parseArgs(args.toArray(String[]::new));
        } catch (picocli.CommandLine.ParameterException e) {
            throw new LcmException(e.getMessage() + " (see ./lcm prepare --help)");
        }
        return c;
    }

    /** The arguments this command was given (an engine passes them on to its workers, which {@link #parse} them). */
    public List<String> args() {
        List<String> all = spec.commandLine().getParseResult().originalArgs(); // under Main: "prepare" and the rest
        int from = spec.parent() == null ? 0 : all.indexOf(spec.name()) + 1;
        return List.copyOf(all.subList(from, all.size()));
    }

    /** The dataset's options with {@code nThreads} threads per worker; {@code --overwrite} as given. */
    public PrepareOptions options(int nThreads) {
        return options(nThreads, overwrite);
    }

    /**
     * {@code --output} as written: a Hadoop URI such as {@code hdfs://nn/dataset} for the Spark engine, which the
     * {@link Path} of {@link #options} would turn into {@code hdfs:/nn/dataset}.
     */
    public String outputLocation() {
        return spec.commandLine().getParseResult().matchedOption("--output").stringValues().get(0);
    }

    /** {@code --threads}, or {@code null} when not given. */
    public Integer threads() {
        return threads;
    }

    /** {@code --spark-master}, or {@code null} when not given. */
    public String sparkMaster() {
        return sparkMaster;
    }

    /** Whether the sentence bank is built after the dataset ({@code --bank}, the default). */
    public boolean bank() {
        return bank;
    }

    /** The sentence splitter of {@code --splitter} and {@code --max-sentence-len}. */
    public SentenceSplitter newSplitter() {
        return SentenceSplitters.create(splitter, SplitterOptions.DEFAULT.withMaxSentenceLen(maxSentenceLen));
    }

    /** The concept encoder of {@code --encoder} on {@code --device} (loads it). */
    public ConceptEncoder newEncoder() {
        return newEncoder(device.placement());
    }

    /** The concept encoder of {@code --encoder} on {@code placement}, resolved by the caller (loads it). */
    private ConceptEncoder newEncoder(ConceptModels.Placement placement) {
        return ConceptModels.encoder(encoder, placement);
    }

    private PrepareOptions options(int nThreads, boolean overwriteNow) {
        if (targetColumn != null && textColumn == null) {
            throw new LcmException("--target-column " + targetColumn + " needs --source-column: name the column that holds the"
                    + " prompt (the answer's column is the target)");
        }
        SourceSpec spec = new SourceSpec(input, format, textColumn == null ? "text" : textColumn, targetColumn, idColumn, splitColumn);
        return new PrepareOptions(spec, output, name, lang, langFilter != null ? langFilter : spec.europarl(),
                maxDocs, shardSize, validationFraction, seed, tokenBudget, maxBatchSentences, nThreads, 64, overwriteNow,
                // the splitter's description, recorded in the manifest and datacard (a change refuses to resume)
                maxSentenceLen == SplitterOptions.DEFAULT.maxSentenceLen() ? splitter : splitter + " max_sentence_len=" + maxSentenceLen);
    }

    /**
     * --launcher submitit: checks what a local run would check first (options, splitter, input, output directory),
     * clears the output once for --overwrite, then submits the array and the job that finishes after it.
     */
    private int submit() {
        int n = nshards == null ? 1 : nshards;
        Slurm slurm = Slurm.fromEnvironment();
        slurm.require("sbatch", "use --launcher standalone to prepare on this machine");
        SlurmJobSpec.atLeast(cpusPerTask, 1, "--cpus-per-task");
        SlurmJobSpec.atLeast(memGb, 0, "--mem-gb");
        SlurmJobSpec.atLeast(timeoutMin, 1, "--timeout-min");
        int jobThreads = threads != null ? threads : cpusPerTask;
        PrepareOptions opt = options(jobThreads, false);
        newSplitter(); // refuses an unknown --splitter before anything is submitted
        DocumentSources.check(opt.source());
        Path workDir = Path.of("").toAbsolutePath();
        Path logs = logFolder != null ? workDir.resolve(logFolder) : workDir.resolve(output).resolve("executor_logs");
        SlurmJobSpec taskSpec = new SlurmJobSpec("lcm_prepare_" + name, 1, 1, 0, cpusPerTask, memGb, timeoutMin, null,
                partition, qos, account, logs, "%A_%a.log", workDir, "0-" + (n - 1), null, false, true);
        SlurmJobSpec mergeSpec = new SlurmJobSpec("lcm_prepare_" + name + "_merge", 1, 1, 0, cpusPerTask, memGb, timeoutMin,
                null, partition, qos, account, logs, "%j.log", workDir, null, null, false, true);
        Preparer.checkOutputForArray(output, overwrite);
        List<String> common = jobArgs(jobThreads);
        List<String> taskArgs = new ArrayList<>(common);
        taskArgs.addAll(List.of("--no-bank", "--nshards", String.valueOf(n)));
        List<String> mergeArgs = new ArrayList<>(common);
        mergeArgs.addAll(List.of(bank ? "--bank" : "--no-bank", "--array-merge"));
        SlurmLauncher launch = new SlurmLauncher(slurm, System.out);
        List<SlurmLauncher.Submitted> jobs = launch.submitArray(taskSpec, n, taskArgs, "--array-task", mergeSpec, mergeArgs, "prepare");
        SlurmLauncher.Submitted array = jobs.get(0), merge = jobs.get(1);
        System.out.printf("submitted SLURM array job %s (%s: %d task%s, task i prepares the shards whose index %% %d == i)%n",
                array.jobId(), taskSpec.jobName(), n, n == 1 ? "" : "s", n);
        System.out.printf("submitted SLURM job %s (manifest, datacard%s once every task succeeded)%n", merge.jobId(), bank ? ", sentence bank" : "");
        System.out.printf("scripts %s, %s%nlogs %s_<task>.log, %s%n", array.script(), merge.script(),
                logs.resolve(array.jobId()), merge.logs().get(0).file());
        if (!wait) return 0;
        return launch.follow(List.of(new SlurmJobFollower.Watched(array.jobId(), "array job", array.logs()),
                new SlurmJobFollower.Watched(merge.jobId(), "merge job", merge.logs())));
    }

    /** This command for the jobs: every option that shapes the dataset, spelled out (none of the submission's own). */
    private List<String> jobArgs(int jobThreads) {
        List<String> a = new ArrayList<>(List.of("prepare", "--input", input, "--format", format,
                "--text-column", textColumn == null ? "text" : textColumn));
        if (targetColumn != null) a.addAll(List.of("--target-column", targetColumn));
        if (idColumn != null) a.addAll(List.of("--id-column", idColumn));
        if (splitColumn != null) a.addAll(List.of("--split-column", splitColumn));
        a.addAll(List.of("--lang", lang));
        if (langFilter != null) a.add(langFilter ? "--lang-filter" : "--no-lang-filter");
        a.addAll(List.of("--encoder", encoder, "--splitter", splitter, "--max-sentence-len", String.valueOf(maxSentenceLen),
                "--output", output.toString(), "--name", name, "--max-docs", String.valueOf(maxDocs),
                "--shard-size", String.valueOf(shardSize), "--validation-fraction", String.valueOf(validationFraction),
                "--seed", String.valueOf(seed), "--token-budget", String.valueOf(tokenBudget),
                "--max-batch-sentences", String.valueOf(maxBatchSentences), "--threads", String.valueOf(jobThreads)));
        return a;
    }

    /** One line per split of a prepared dataset: its documents and sentences (and target sentences). */
    public static void printSplits(Preparer.Result r) {
        for (String sp : r.documents().keySet()) {
            System.out.printf("split=%s documents=%d sentences=%d%s%n", sp, r.documents().get(sp), r.sentences().get(sp),
                    r.targetSentences().containsKey(sp) ? " target_sentences=" + r.targetSentences().get(sp) : "");
        }
    }
}
