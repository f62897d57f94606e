package dev.lcm4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.LcmException;
import dev.lcm4j.config.LauncherConfig;
import dev.lcm4j.dist.DistributedEnvironment;
import dev.lcm4j.dist.DistributedGroup.Timeouts;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.eval.DatasetOptions;
import dev.lcm4j.eval.Evaluator;
import dev.lcm4j.eval.Baselines;
import dev.lcm4j.eval.LcmPredictor;
import dev.lcm4j.eval.Predictor;
import dev.lcm4j.eval.Tasks;
import dev.lcm4j.inference.GeneratorOptions;
import dev.lcm4j.launch.LocalLauncher;
import dev.lcm4j.launch.Slurm;
import dev.lcm4j.launch.SlurmJobFollower;
import dev.lcm4j.launch.SlurmJobSpec;
import dev.lcm4j.launch.SlurmLauncher;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code ./lcm evaluate}: the reference's evaluation command line over {@code eval.Evaluator}, in one process or as
 * shards of a multi-process job ({@link EvaluateLaunch}); with {@code --launcher submitit} outside a SLURM step it
 * submits a SLURM job whose tasks run this same command, one shard each.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, footer = {"",
        "--data_loading.FIELD VALUE: the other fields of the reference's EvaluationDataLoadingConfig are accepted at",
        "the reference's evaluation default and refused by name with the reason otherwise (docs/quirks.md #45)."}, description = {"Evaluates a model (or a baseline) on tasks with the reference's flags and output layout",
        "(python -m lcm.evaluation): results/<task>.json, raw_results/<task>/, metrics.eval.jsonl, metadata.jsonl, tb/.",
        "Sharding: under torchrun, ./lcm launch --nproc-per-node N or srun -n N",
        "every process is a shard; with --job_args '{\"nshards\": N}' evaluate starts",
        "N local worker processes itself, or with --launcher submitit submits a SLURM job",
        "of N tasks (logs in DUMP_DIR/executor_logs; --wait follows it). Each run's batches",
        "are dealt out round-robin; rank 0 merges them in order and writes what one process writes."})
final class EvaluateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Booleans as the reference's CLI reads them: on/off/true/false/yes/no/1/0. */
    static final class Bool implements CommandLine.ITypeConverter<Boolean> {
        @Override
        public Boolean convert(String v) {
            return switch (v.toLowerCase(Locale.ROOT)) {
                case "on", "true", "yes", "1" -> true;
                case "off", "false", "no", "0" -> false;
                default -> throw new CommandLine.TypeConversionException("'" + v + "' is not a boolean (use true/false, on/off, 1/0)");
            };
        }
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    /** Where sbatch, scontrol and scancel are looked up and run: the process environment (a test's stand-ins otherwise). */
    Map<String, String> slurmEnvironment = System.getenv();
    @Option(names = "--tasks", required = true, description = "Comma-separated task names or * patterns (e.g. lcm_generation, cnn_dailymail_llm.test, xlsum_llm.*.test)") String tasks;
    @Option(names = "--predictor", required = true, description = "A model family's predictor (base_lcm, two_tower_diffusion_lcm, ...),"
            + " dummy (the dummy_* tasks), or a baseline that runs no model: baseline_mean (the mean concept of --baseline_data"
            + " every time), baseline_copy (the previous concept; generation repeats the prompt's last one), baseline_repeat"
            + " (an alias of baseline_copy, for reports of generation: repeat-last), baseline_random (random concepts of"
            + " --baseline_data, seeded per sample from --seed). Baselines take the generator's stopping options"
            + " (--max_seq_len, --min_seq_len, EOS and repetition) and refuse the model-only ones") String predictor;
    @Option(names = "--dump_dir", required = true) Path dumpDir;
    @Option(names = "--model_card", description = "Card name, model_card.yaml, training output dir or checkpoint. With a"
            + " baseline predictor only the card's concept_encoder and concept_decoder are used (no model is loaded)") String modelCard;
    @Option(names = "--baseline_data", paramLabel = "NAME[=SPLIT]|DIR[=SPLIT]", description = "The training data of baseline_mean and"
            + " baseline_random: a datacard name (as --dataset.name) or a dataset directory with its datacard.yaml; split train"
            + " by default. Every concept of the split is read (baseline_random keeps them all: concepts x dim x 4 bytes)") String baselineData;
    @Option(names = "--dataset_dir", description = "Directory of the text tasks' files (cnn_daily_mail/<split>.jsonl, xsum/..., xlsum/<lang>/...)") String datasetDir;
    @Option(names = "--task_args", description = "JSON: arguments for all tasks, or grouped under a task name (list values make a grid)") String taskArgs;
    @Option(names = "--prompt_file", description = "YAML of --dataset.* fields (e.g. source_prefix_text)") Path promptFile;
    @Option(names = "--data_loading.max_samples", description = "Evaluate only the first N samples of each run") Integer maxSamples;
    @Option(names = "--data_loading.batch_size", defaultValue = "10") int batchSize;
    @Option(names = "--data_loading.max_iteration_steps", description = "At most N batches per shard (the reference's take(N))")
    Integer maxIterationSteps;
    /**
     * The other fields of the reference's EvaluationDataLoadingConfig, as {@code --data_loading.FIELD VALUE} or
     * {@code --data_loading.FIELD=VALUE}: each is checked by {@link #dataLoading}. Any other unknown option is refused.
     */
    @CommandLine.Unmatched List<String> unmatched = new ArrayList<>();
    @Option(names = "--generator_batch_size") Integer generatorBatchSize;
    @Option(names = "--dtype", defaultValue = "torch.float32", description = "Inference runs in float32 on CPU") String dtype;
    @Option(names = "--temperature", defaultValue = "0.0", description = "> 0 overrides lcm_temperature") double temperature;
    @Option(names = "--disable_cache", defaultValue = "false", arity = "0..1", fallbackValue = "true", converter = Bool.class) boolean disableCache;
    @Option(names = "--top_k", defaultValue = "0") int topK;
    @Option(names = "--top_p", defaultValue = "0.0") double topP;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--confidence_level", description = "Add each metric's Student-t confidence interval of the mean at this level "
            + "(e.g. 0.95) as <metric>_ci_lb_<level> / <metric>_ci_ub_<level>") Double confidenceLevel;
    @Option(names = "--metric_log_dir") Path metricLogDir;
    @Option(names = "--tb_log_dir") Path tbLogDir;
    @Option(names = "--no_resume", defaultValue = "false", arity = "0..1", fallbackValue = "true", converter = Bool.class) boolean noResume;
    @Option(names = "--log_only_text", defaultValue = "false", arity = "0..1", fallbackValue = "true", converter = Bool.class) boolean logOnlyText;
    @Option(names = "--show_progress", defaultValue = "true", arity = "0..1", fallbackValue = "true", converter = Bool.class,
            description = "Progress bars on stderr (default true; the reference's default is false)") boolean showProgress;
    @Option(names = "--dry_run", defaultValue = "false", arity = "0..1", fallbackValue = "true", converter = Bool.class) boolean dryRun;
    @Option(names = "--launcher", defaultValue = "standalone", description = "standalone (default) or local: this process,"
            + " or with --job_args nshards N, N local worker processes. submitit or slurm: outside a SLURM step, submit one"
            + " SLURM job (sbatch) of nshards tasks, each task running this command as one shard (--wait follows it);"
            + " inside an srun step every task is a shard. Under torchrun or ./lcm launch (WORLD_SIZE > 1) every process is"
            + " a shard (with standalone or local).") String launcher;
    @Option(names = "--job_args", description = "JSON: nshards (shards per run, >= 1; in a multi-process job it must equal"
            + " the number of processes); launcher.rendezvous_timeout_s (how long the shards wait for each other to start,"
            + " default 300); launcher.collective_timeout_s (how long rank 0 waits for a live but silent shard once its own"
            + " part is done, default 1800). With --launcher submitit, the job's shape: requirements {nodes (default 1),"
            + " gpus_per_node (0), cpus_per_task (4), mem_gb (0: the partition's default), timeout_min (1440), constraint;"
            + " tasks_per_node is nshards / nodes} and launcher.{partition, qos, account, log_folder (default"
            + " DUMP_DIR/executor_logs)}. Accepted with NO effect (a notice names them): launcher.{_target_, cluster, cache,"
            + " config_dump_dir}, requirements.max_num_timeout, and the job's shape when no job is submitted. See"
            + " docs/distributed.md.") String jobArgs;
    @Option(names = {"--wait", "--follow"}, description = "With --launcher submitit: wait for the job, print its log as it is"
            + " written, and exit with the job's exit status.") boolean wait;

    // LCMGeneratorOptions
    @Option(names = "--max_seq_len", defaultValue = "200") int maxSeqLen;
    @Option(names = "--min_seq_len", defaultValue = "1") int minSeqLen;
    @Option(names = "--eos_threshold", defaultValue = "0.9") double eosThreshold;
    @Option(names = "--sample_latent_variable", defaultValue = "true", arity = "0..1", fallbackValue = "true", converter = Bool.class,
            description = "MSE LCM: add N(0, temperature^2) noise (reference default true; its README passes False;"
                    + " docs/quirks.md #21)") boolean sample;
    @Option(names = "--stop_on_repetition_cosine_threshold") Double repetition;
    @Option(names = "--include_eos_token", defaultValue = "false", arity = "0..1", fallbackValue = "true", converter = Bool.class) boolean includeEos;
    @Option(names = "--trim_hypotheses", defaultValue = "false", arity = "0..1", fallbackValue = "true", converter = Bool.class) boolean trim;
    @Option(names = "--lcm_temperature", defaultValue = "1.0") double lcmTemperature;
    @CommandLine.Mixin SamplingOptionsMixin sampling = new SamplingOptionsMixin();
    @CommandLine.Mixin DeviceOption device = new DeviceOption();

    // concept encoder / decoder (SonarEncoderConfig / SonarDecoderConfig)
    @Option(names = "--encoder_config.encoder", description = "Concept encoder card (default: the model card's concept_encoder, else text_sonar_basic_encoder)") String encoder;
    @Option(names = "--encoder_config.tokenizer", description = "Accepted for compatibility; the encoder card names its tokenizer") String encoderTokenizer;
    @Option(names = "--encoder_config.lang", defaultValue = "eng_Latn") String encoderLang;
    @Option(names = "--decoder_config.decoder", description = "Concept decoder card or bank:DIR (default: the model card's concept_decoder, else text_sonar_basic_decoder)") String decoder;
    @Option(names = "--decoder_config.tokenizer", description = "Accepted for compatibility") String decoderTokenizer;
    @Option(names = "--decoder_config.lang", defaultValue = "eng_Latn") String decoderLang;
    @Option(names = "--decoder_config.max_tokens_in_sentence", description = "Token limit of each decoded sentence, its 2 prompt"
            + " tokens included (SONAR decoder; default 256, or the card's max_seq_len). Refused with the sentence-bank decoder")
    Integer maxTokens;
    @Option(names = "--decoder_config.temperature", description = "Logit temperature of the SONAR decoder's beam search (default 1)."
            + " Refused with the sentence-bank decoder") Double decoderTemperature;
    @Option(names = "--splitter", description = "Sentence splitter for text prompts: icu (default), opennlp, sat:DIR") String splitter;

    // --dataset.<field>
    @Option(names = "--dataset.name", description = "Datacard of LCM parquet data, CARD[=SPLIT]") String dsName;
    @Option(names = "--dataset.parquet_path") String dsParquet;
    @Option(names = "--dataset.file_path") String dsFile;
    @Option(names = "--dataset.columns", split = ",") List<String> dsColumns;
    @Option(names = "--dataset.source_column") String dsSource;
    @Option(names = "--dataset.source_text_column") String dsSourceText;
    @Option(names = "--dataset.target_column") String dsTarget;
    @Option(names = "--dataset.target_text_column") String dsTargetText;
    @Option(names = "--dataset.source_prefix_text") String dsSourcePrefix;
    @Option(names = "--dataset.source_suffix_text") String dsSourceSuffix;
    @Option(names = "--dataset.target_prefix_text") String dsTargetPrefix;
    @Option(names = "--dataset.target_suffix_text") String dsTargetSuffix;
    @Option(names = "--dataset.source_sequences", description = "Repeatable JSON item: {\"text_value\": ...} or {\"text_column\": ...}") List<String> dsSourceSeq;
    @Option(names = "--dataset.target_sequences") List<String> dsTargetSeq;
    @Option(names = "--dataset.prompt_template", description = "Template with {{ column }} substitutions") String dsTemplate;

    @Override
    public Integer call() {
        if (topK != 0 || topP != 0.0) throw new LcmException("--top_k/--top_p sampling does not apply to concept generation; leave them at 0");
        if (confidenceLevel != null && !(confidenceLevel > 0 && confidenceLevel < 1)) {
            throw new LcmException("--confidence_level must be between 0 and 1 (e.g. 0.95), got " + confidenceLevel);
        }
        dataLoading(unmatched);
        if (maxIterationSteps != null && maxIterationSteps < 1) throw new LcmException("--data_loading.max_iteration_steps must be at least 1, got " + maxIterationSteps);
        if (batchSize < 1) throw new LcmException("--data_loading.batch_size must be at least 1, got " + batchSize);
        List<String> taskList = Tasks.expand(tasks);
        if (Baselines.names().contains(predictor)) refuseModelOnlyOptions();
        Map<String, Object> args = parseTaskArgs(taskArgs);
        DatasetOptions d = new DatasetOptions();
        if (promptFile != null) {
            if (!Files.isRegularFile(promptFile)) throw new LcmException("--prompt_file " + promptFile + " does not exist");
            Object y;
            try {
                y = new Yaml().load(Files.readString(promptFile));
            } catch (Exception e) {
                throw new LcmException("--prompt_file " + promptFile + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
            }
            if (!(y instanceof Map<?, ?> m)) throw new LcmException("--prompt_file " + promptFile + " must be a YAML mapping of dataset fields (e.g. source_prefix_text: ...)");
            for (Map.Entry<?, ?> e : m.entrySet()) d.set(String.valueOf(e.getKey()), e.getValue() == null ? null : String.valueOf(e.getValue()));
        }
        d.set("name", dsName).set("parquet_path", dsParquet).set("file_path", dsFile).set("columns", dsColumns)
                .set("source_column", dsSource).set("source_text_column", dsSourceText).set("target_column", dsTarget)
                .set("target_text_column", dsTargetText).set("source_prefix_text", dsSourcePrefix)
                .set("source_suffix_text", dsSourceSuffix).set("target_prefix_text", dsTargetPrefix)
                .set("target_suffix_text", dsTargetSuffix).set("source_sequences", sequences(dsSourceSeq, "source_sequences"))
                .set("target_sequences", sequences(dsTargetSeq, "target_sequences")).set("prompt_template", dsTemplate).freeze();

        GeneratorOptions gen = new GeneratorOptions(maxSeqLen, minSeqLen, eosThreshold, sample, repetition, includeEos, trim,
                seed, temperature > 0 ? temperature : lcmTemperature);
        LcmPredictor.Config pc = new LcmPredictor.Config(predictor, modelCard, gen, sampling.given(), encoder, encoderLang,
                decoder, decoderLang, generatorBatchSize, disableCache, temperature, splitter,
                dev.lcm4j.torch.Devices.checkSyntax(device.device, "--device"));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("predictor", predictor);
        config.put("model_card", modelCard);
        config.put("generator", gen);
        // ordered maps: the results and metadata files must not change key order from one run to the next
        config.put("encoder_config", ordered("encoder", String.valueOf(encoder), "lang", encoderLang));
        Map<String, Object> decoderConfig = ordered("decoder", String.valueOf(decoder), "lang", decoderLang);
        if (maxTokens != null) decoderConfig.put("max_tokens_in_sentence", maxTokens);
        if (decoderTemperature != null) decoderConfig.put("temperature", decoderTemperature);
        config.put("decoder_config", decoderConfig);
        config.put("generator_batch_size", generatorBatchSize);
        config.put("disable_cache", disableCache);
        EvaluateLaunch.Launcher launch = EvaluateLaunch.Launcher.parse(launcher);
        EvaluateLaunch.JobArgs job = EvaluateLaunch.JobArgs.parse(jobArgs);
        List<String> runs = Evaluator.runNames(taskList, args);   // bad --task_args fail here, before any worker starts
        DistributedEnvironment env = DistributedEnvironment.fromEnvironment();
        EvaluateLaunch.Plan plan = EvaluateLaunch.plan(launch, job.nshards(), env, System.getenv());
        boolean submit = plan.mode() == EvaluateLaunch.Mode.SUBMIT;
        if (wait && !submit) {
            throw new LcmException("--wait follows the SLURM job evaluate submits; it needs --launcher submitit outside a SLURM step"
                    + " (this evaluation runs here)");
        }
        // the job's shape is checked now, so that a dry run shows its errors too
        SlurmJobSpec jobSpec = submit ? job.slurmJob(plan.shards(), dumpDir, Path.of("").toAbsolutePath()) : null;
        if (dryRun) {
            String how = switch (plan.mode()) {
                case SPAWN -> " in local worker processes";
                case SUBMIT -> " as the tasks of one SLURM job (" + jobSpec.jobName() + ", logs in " + jobSpec.logFolder() + ")";
                default -> "";
            };
            System.out.println("dry run: tasks " + taskList + " (runs " + runs + "), predictor " + predictor + ", dump_dir " + dumpDir
                    + ", launcher " + launch.cliName() + ", " + plan.shards() + " shard(s)" + how);
            return 0;
        }
        Slurm slurm = null;
        if (submit) {
            slurm = new Slurm(slurmEnvironment);
            slurm.require("sbatch", "use --launcher standalone to evaluate on this machine");
        }
        List<String> original = spec.commandLine().getParseResult().originalArgs();   // "evaluate" and its arguments
        try (Predictor p = Predictor.create(pc, baselineData)) {
            p.concepts().decoderSettings(maxTokens, decoderTemperature);
            config.putAll(p.resultsConfig());
            if (predictor.equals(LcmPredictor.DUMMY)) {
                for (String t : taskList) if (!t.startsWith("dummy_")) throw new LcmException("--predictor dummy only runs the dummy_* tasks; " + t + " needs a model predictor ("
                        + String.join(", ", ModelFamilies.predictorNames()) + ")");
            }
            // the job's shape acts when this process submits the job, and in the tasks of a job evaluate submitted
            boolean jobShaped = submit || (launch.slurm() && System.getenv(SlurmLauncher.EVALUATION_JOB_VARIABLE) != null);
            List<String> noEffect = job.noEffect(jobShaped);
            if (!noEffect.isEmpty() && env.isMain() && plan.mode() != EvaluateLaunch.Mode.SPAWN) {
                System.err.println("evaluate: --job_args " + String.join(", ", noEffect) + " accepted with no effect here"
                        + " (launcher._target_, cluster, cache, config_dump_dir and requirements.max_num_timeout never act in lcm4j;"
                        + " requirements and launcher.partition, qos, account, log_folder shape the job of --launcher submitit;"
                        + " see ./lcm evaluate --help)");
            }
            if (submit) {
                // the model card, predictor and tasks were checked above: a job that cannot start is refused here
                SlurmLauncher launcher = new SlurmLauncher(slurm, System.out);
                SlurmLauncher.Submitted s = launcher.submitEvaluation(jobSpec, jobCommand());
                if (!wait) return 0;
                return launcher.follow(List.of(new SlurmJobFollower.Watched(s.jobId(), "evaluation job", s.logs())));
            }
            if (plan.mode() == EvaluateLaunch.Mode.SPAWN) {
                // the workers run this same command line; each sees WORLD_SIZE = nshards and becomes one shard (rank 0 writes)
                return new LocalLauncher(new LocalLauncher.Options(plan.shards(), 0, 0, 0), System.out).run(original);
            }
            // this process evaluates: a device this machine cannot give fails before any result file is written
            boolean runsModel = !predictor.equals(LcmPredictor.DUMMY) && !predictor.startsWith("baseline_");
            if (runsModel && !device.device.trim().equals("cpu")) device.resolve();
            Evaluator.Options o = new Evaluator.Options(taskList, d, datasetDir, args, maxSamples, batchSize, dumpDir, metricLogDir,
                    tbLogDir, showProgress, noResume, logOnlyText, seed, "lcm " + String.join(" ", original), config, confidenceLevel, maxIterationSteps);
            Map<String, Map<String, Double>> results;
            if (plan.mode() == EvaluateLaunch.Mode.RANK) {
                TorchRuntime.init();
                LauncherConfig l = job.launcher();
                Timeouts timeouts = new Timeouts(Duration.ofSeconds(l.rendezvous_timeout_s()), Duration.ofSeconds(l.collective_timeout_s()));
                try (DistributedGroup group = DistributedGroup.join(env, timeouts)) {
                    results = new Evaluator(o, p, group).run();
                }
                if (!env.isMain()) return 0; // rank 0 reports for the job
            } else {
                results = new Evaluator(o, p).run();
            }
            for (Map.Entry<String, Map<String, Double>> e : results.entrySet()) {
                StringBuilder sb = new StringBuilder(e.getKey());
                e.getValue().forEach((k, v) -> sb.append(String.format(" %s=%.4f", k, v)));
                System.out.println(sb);
            }
            System.out.println("results in " + dumpDir.resolve("results") + ", per-sample outputs in " + dumpDir.resolve("raw_results"));
            return 0;
        }
    }

    /**
     * This command line for the job's tasks: as given, {@code @files} expanded (the kept script then shows every
     * argument that runs, and a {@code --wait} inside such a file is found), without {@code --wait}/{@code --follow},
     * which belong to the submission (in a task they would be refused).
     */
    private List<String> jobCommand() {
        List<String> out = new ArrayList<>();
        // the root's arguments: a subcommand's own parse result lists only those after its name
        for (String a : spec.root().commandLine().getParseResult().expandedArgs()) {
            // picocli never takes an option's name as another option's value, so every such word is the flag itself
            if (a.equals("--wait") || a.equals("--follow") || a.startsWith("--wait=") || a.startsWith("--follow=")) continue;
            out.add(a);
        }
        return out;
    }

    /**
     * The reference's EvaluationDataLoadingConfig fields that lcm4j does not take as options of their own, with the
     * reference's evaluation default. The value the reference uses by default is accepted (it changes nothing in
     * either system); another value is refused by name with the reason, since lcm4j's evaluation would not honour it.
     */
    private static final Map<String, DataLoadingField> DATA_LOADING_FIELDS = new LinkedHashMap<>();

    /**
     * @param accepted   the values lcm4j accepts: the reference's default first, then any other that means the same here
     * @param whyRefused why any other value is refused
     */
    private record DataLoadingField(List<String> accepted, String whyRefused) {
    }

    private static void dataLoadingField(String field, String referenceDefault, String whyRefused) {
        DATA_LOADING_FIELDS.put(field, new DataLoadingField(List.of(referenceDefault), whyRefused));
    }

    static {
        String pipeline = "it tunes the reference's Python data pipeline, which lcm4j's evaluation does not have";
        String filter = "lcm4j's evaluation reads every document of the dataset; filter the data with ./lcm prepare instead";
        dataLoadingField("multiple_dataset_chaining", "concat", "an evaluation reads one dataset");
        DATA_LOADING_FIELDS.put("order_by_length", new DataLoadingField(List.of("true", "false"),
                "lcm4j's evaluation batches samples in data order (docs/quirks.md #45)"));
        dataLoadingField("max_tokens", "null", "lcm4j's evaluation batches by --data_loading.batch_size only");
        dataLoadingField("len_to_wrap_long_seq", "null", "lcm4j's evaluation does not wrap documents; ./lcm train does");
        dataLoadingField("packing", "false", "lcm4j's evaluation does not pack documents; ./lcm train does");
        dataLoadingField("wrap_before_affixing", "false", "lcm4j's evaluation does not wrap documents");
        dataLoadingField("max_sentence_len_in_doc", "null", filter);
        dataLoadingField("min_sentence_len_in_doc", "null", filter);
        dataLoadingField("max_sentence_len_in_target_doc", "null", filter);
        dataLoadingField("min_sentence_len_in_target_doc", "null", filter);
        dataLoadingField("min_length_of_sequences", "1", filter);
        dataLoadingField("min_length_of_sequences_after_batching", "1", filter);
        dataLoadingField("min_length_of_target_sequences", "1", filter);
        dataLoadingField("min_length_of_target_sequences_after_batching", "1", filter);
        dataLoadingField("output_format", "torch", pipeline);
        dataLoadingField("shuffle", "false", "lcm4j's evaluation reads samples in data order");
        // no value is accepted: lcm4j's reader has no switch for rows with null values, so neither setting is honoured
        dataLoadingField("drop_null", "(none)", "lcm4j's evaluation has no null-row filter; it reads every row as it is");
        dataLoadingField("seed", "123", "evaluation does not shuffle, so the data seed has no use (the predictor's is --seed)");
        dataLoadingField("nb_epochs", "1", "an evaluation makes one pass over the data");
        dataLoadingField("min_batch_size", "1", "lcm4j's evaluation keeps every batch, the last short one included");
        dataLoadingField("nb_prefetch", "3.0", pipeline);
        dataLoadingField("num_parallel_calls", "1.5", pipeline);
        dataLoadingField("use_threads", "false", pipeline);
        dataLoadingField("ignore_checkpointed_pipeline", "false", "evaluation resumes per run (results/<run>.json), not from a"
                + " pipeline state");
        dataLoadingField("even_sharding", "false", "lcm4j's shards never drop samples; every batch is evaluated once");
        dataLoadingField("sharding_in_memory", "true", "lcm4j deals whole batches to shards in memory");
        dataLoadingField("rank", "0", "the shard is the process's rank: use --job_args '{\"nshards\": N}', torchrun or srun");
        dataLoadingField("world_size", "1", "the number of shards is the job's: use --job_args '{\"nshards\": N}', torchrun or srun");
    }

    /**
     * Checks the {@code --data_loading.*} fields that have no option of their own: the reference's default value is
     * accepted, any other refused by name; an unknown option (data_loading or not) is refused as picocli would.
     */
    static void dataLoading(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--data_loading.")) throw new LcmException("unknown option '" + a + "' (see ./lcm evaluate --help)");
            String field = a.substring("--data_loading.".length()), value;
            int eq = field.indexOf('=');
            if (eq >= 0) {
                value = field.substring(eq + 1);
                field = field.substring(0, eq);
            } else {
                if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) throw new LcmException("--data_loading." + field + " needs a value");
                value = args.get(++i);
            }
            DataLoadingField f = DATA_LOADING_FIELDS.get(field);
            if (f == null) {
                throw new LcmException("--data_loading." + field + " is not a field of the reference's EvaluationDataLoadingConfig;"
                        + " fields: batch_size, max_samples, max_iteration_steps, " + String.join(", ", DATA_LOADING_FIELDS.keySet()));
            }
            String v = value;
            if (f.accepted().stream().noneMatch(ok -> sameValue(ok, v))) {
                String def = f.accepted().get(0);
                throw new LcmException("--data_loading." + field + " " + value + " is not supported: " + f.whyRefused()
                        + (def.equals("(none)") ? "; remove it" : " (only " + def + ", the reference's evaluation default"
                        + f.accepted().stream().skip(1).map(ok -> ", or " + ok).collect(Collectors.joining()) + ")"));
            }
        }
    }

    /** Whether a command-line value means the reference default {@code def} (booleans as the CLI reads them, numbers by value). */
    private static boolean sameValue(String def, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (def.equals("true") || def.equals("false")) {
            try {
                return new Bool().convert(v) == Boolean.parseBoolean(def);
            } catch (CommandLine.TypeConversionException e) {
                return false;
            }
        }
        if (def.equals("null")) return v.equals("null") || v.equals("none");
        if (def.equals("torch")) return v.equals("torch") || v.equals("parquetbatchformat.torch");
        if (def.equals("concat")) return v.equals("concat");
        try {
            return Double.parseDouble(v) == Double.parseDouble(def);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The generator flags that only act on a model's sampling, which a baseline would silently ignore. */
    private static final List<String> MODEL_ONLY = List.of("--sample_latent_variable", "--lcm_temperature", "--temperature",
            "--disable_cache", "--generator_batch_size");

    /** A baseline runs no model: flags that only steer a model's sampling would be accepted and ignored, so they are refused. */
    private void refuseModelOnlyOptions() {
        List<String> modelOnly = new ArrayList<>(MODEL_ONLY);
        CommandLine.Model.CommandSpec mixin = spec.mixins().get("sampling");
        for (CommandLine.Model.OptionSpec o : mixin.options()) modelOnly.add(o.longestName());
        List<String> given = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            if (modelOnly.contains(o.longestName()) && !given.contains(o.longestName())) given.add(o.longestName());
        }
        if (!given.isEmpty()) {
            throw new LcmException("--predictor " + predictor + " runs no model; remove " + String.join(", ", given)
                    + " (they only steer a model's sampling)");
        }
    }

    private static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }

    static Map<String, Object> parseTaskArgs(String json) {
        if (json == null || json.isBlank()) return Map.of();
        try {
            Object v = JSON.readValue(json, Object.class);
            if (!(v instanceof Map<?, ?> m)) throw new LcmException("--task_args must be a JSON object, e.g. '{\"max_gen_len\": 10}', got: " + json);
            @SuppressWarnings("unchecked") Map<String, Object> out = (Map<String, Object>) m;
            return out;
        } catch (JsonProcessingException e) {
            throw new LcmException("--task_args is not valid JSON (" + e.getOriginalMessage() + "): " + json
                    + "; example: '{\"max_gen_len\": 10, \"eos_config\": {\"text\": \"End of text.\"}}'");
        }
    }

    private static List<DatasetOptions.Sequence> sequences(List<String> items, String flag) {
        if (items == null) return null;
        List<DatasetOptions.Sequence> out = new ArrayList<>();
        for (String s : items) {
            Map<?, ?> m;
            try {
                m = JSON.readValue(s, Map.class);
            } catch (JsonProcessingException e) {
                throw new LcmException("--dataset." + flag + " '" + s + "' is not valid JSON; use '{\"text_value\": \"[INST]\"}' or '{\"text_column\": \"input_text\"}'");
            }
            Object tv = m.get("text_value"), tc = m.get("text_column");
            out.add(new DatasetOptions.Sequence(tv == null ? null : String.valueOf(tv), tc == null ? null : String.valueOf(tc)));
        }
        return out;
    }
}
