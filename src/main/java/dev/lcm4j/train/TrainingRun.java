package dev.lcm4j.train;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.ConfigBinder;
import dev.lcm4j.config.ConfigDump;
import dev.lcm4j.config.DataLoadingConfig;
import dev.lcm4j.config.DatasetConfig;
import dev.lcm4j.config.TrainRunConfig;
import dev.lcm4j.config.TrainingConfig;
import dev.lcm4j.data.Affixes;
import dev.lcm4j.data.DataCard;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.DatasetOptions;
import dev.lcm4j.data.RowFilter;
import dev.lcm4j.data.LoaderOptions;
import dev.lcm4j.io.AtomicFiles;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.models.ModelCards;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.nn.ParamFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.Yaml;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.io.FileTrees;
import java.util.TreeMap;
import org.yaml.snakeyaml.DumperOptions;

/**
 * Everything a training run is made of, resolved from the composed recipe: output layout, the model (from an arch,
 * a config, or a card to finetune), data loader options, and the guard against mixing two runs in one directory.
 */
public final class TrainingRun {
    public final TrainRunConfig run;
    public final TrainingConfig cfg;
    public final Path outputDir, checkpointDir;
    public final String modelArch;               // for the model card; null when trained from a config
    public final Map<String, Object> modelConfigTree; // for the model card when not a plain arch
    public final Record modelConfig;
    public final String family;                  // model family of the run
    public final ModelFamily<?, ?, ?> modelFamily; // the same, as registered: decided once, here
    public final ModelCard finetuneFrom;         // card of the pretrained model, or null

    public TrainingRun(TrainRunConfig run) {
        this.run = run;
        this.cfg = run.trainer();
        this.outputDir = Paths.get(cfg.output_dir()).toAbsolutePath();
        this.checkpointDir = outputDir.resolve("checkpoints");
        ModelFamily<?, ?, ?> trainerFamily = cfg._trainer_() == null || cfg._trainer_().isBlank() ? null
                : ModelFamilies.byTrainer(cfg._trainer_());
        Object mc = cfg.model_config_or_name();
        if (mc instanceof String cardName) {
            finetuneFrom = ModelCards.resolve(cardName);
            family = finetuneFrom.family();
            modelArch = finetuneFrom.modelConfig() == null ? finetuneFrom.arch() : null;
            modelConfig = ModelLoader.config(family, finetuneFrom.arch(), finetuneFrom.modelConfig(), "model card " + cardName);
        } else if (mc instanceof Map<?, ?> m) {
            finetuneFrom = null;
            modelArch = null;
            @SuppressWarnings("unchecked") Map<String, Object> tree = (Map<String, Object>) m;
            Object type = tree.get("model_type");
            family = type != null ? String.valueOf(type)
                    : (trainerFamily != null ? trainerFamily : ModelFamilies.defaultFamily()).name();
            modelConfig = ModelLoader.config(family, null, tree, "trainer.model_config_or_name");
        } else {
            finetuneFrom = null;
            if (cfg.model_arch() == null) throw new LcmException("set trainer.model_arch (e.g. ++trainer.model_arch=toy_base_lcm) or trainer.model_config_or_name");
            family = ModelFamilies.arch(cfg.model_arch()).family();
            Map<String, Object> ov = cfg.model_arch_overrides();
            modelArch = ov == null || ov.isEmpty() ? cfg.model_arch() : null;
            modelConfig = ModelLoader.config(family, cfg.model_arch(), ov, "trainer.model_arch_overrides");
        }
        modelFamily = ModelFamilies.get(family);
        if (trainerFamily != null && trainerFamily != modelFamily) {
            throw new LcmException("trainer._trainer_ " + cfg._trainer_() + " trains " + trainerFamily.name() + " models, but the model is a "
                    + family + "; use the recipe of that family (+pretrain=" + modelFamily.recipeNames().get(0) + ")");
        }
        if (!ModelFamilies.criterionNames().contains(cfg.criterion().name())) {
            throw new LcmException("trainer.criterion.name: unknown criterion '" + cfg.criterion().name() + "'; known: "
                    + String.join(", ", ModelFamilies.criterionNames()));
        }
        ModelFamily<?, ?, ?> criterionFamily = ModelFamilies.byCriterion(cfg.criterion().name());
        if (criterionFamily != modelFamily) {
            throw new LcmException("criterion " + cfg.criterion().name() + " cannot train a " + family + " model; use "
                    + criteria(modelFamily));
        }
        // checked here, before anything is written (the criterion checks again on the built model)
        modelFamily.checkTrainingOf(modelConfig, cfg.criterion());
        this.modelConfigTree = modelArch == null ? ConfigBinder.toTree(modelConfig) : null;
    }

    /** "a (pretraining) or b" from a family's criterion names. */
    private static String criteria(ModelFamily<?, ?, ?> f) {
        List<String> names = f.criterionNames();
        if (names.size() == 1) return names.get(0);
        return names.get(0) + " (pretraining) or " + String.join(" or ", names.subList(1, names.size()));
    }

    /** Builds the model: fresh init (seeded by the caller) or, when finetuning, the pretrained weights. */
    public Lcm buildModel(ParamFactory f, boolean loadPretrained) {
        if (finetuneFrom != null && loadPretrained) return ModelLoader.load(finetuneFrom, f, true);
        return ModelLoader.build(modelConfig, f);
    }

    /** Loader options of the reference's DataLoadingConfig for {@code rank} of {@code worldSize}: each reads its shard. */
    public static LoaderOptions loaderOptions(DataLoadingConfig d, int dim, boolean validation, long seed, int rank,
                                              int worldSize) {
        Integer maxTokens = d.max_tokens(), batchSize = d.batch_size();
        if (validation && maxTokens == null && batchSize == null) maxTokens = 3000; // reference auto-sizing caps at 3000
        return LoaderOptions.builder()
                .maxTokens(maxTokens).batchSize(batchSize).orderByLength(d.order_by_length())
                .lenToWrapLongSeq(d.len_to_wrap_long_seq())
                .maxSentenceLenInDoc(d.max_sentence_len_in_doc()).minSentenceLenInDoc(d.min_sentence_len_in_doc())
                .maxSentenceLenInTargetDoc(d.max_sentence_len_in_target_doc()).minSentenceLenInTargetDoc(d.min_sentence_len_in_target_doc())
                .minLengthOfSequences(d.min_length_of_sequences()).minLengthOfTargetSequences(d.min_length_of_target_sequences())
                .minLengthOfSequencesAfterBatching(d.min_length_of_sequences_after_batching())
                .minLengthOfTargetSequencesAfterBatching(d.min_length_of_target_sequences_after_batching())
                .minBatchSize(d.min_batch_size()).shuffle(!validation && d.shuffle()).seed(seed)
                .nbEpochs(validation ? 1 : d.nb_epochs()).rank(rank).worldSize(worldSize)
                .maxIterationSteps(d.max_iteration_steps() == null ? null : d.max_iteration_steps().longValue())
                .chaining(LoaderOptions.Chaining.valueOf(d.multiple_dataset_chaining().name()))
                .packing(d.packing()).wrapBeforeAffixing(d.wrap_before_affixing()).evenSharding(d.even_sharding())
                .dropNull(d.drop_null())
                .expectedDim(dim).build();
    }

    /** The datasets' names as {@code card[=split][:weight]}, for logs and the model card. */
    public static List<String> references(List<DatasetConfig> datasets) {
        List<String> refs = new ArrayList<>();
        for (DatasetConfig d : datasets) refs.add(reference(d));
        return refs;
    }

    private static String reference(DatasetConfig d) {
        String n = d.name();
        if (d.weight() != 1.0 && !n.contains(":")) n = n + ":" + d.weight();
        return n;
    }

    /**
     * Resolves the entries of {@code trainer.<key>} to datasets with every per-dataset option of the reference's
     * {@code ParquetDatasetConfig}: a set config field wins over the datacard's field of the same name (the
     * reference's resolver), and an option lcm4j does not implement is refused by name.
     */
    public static List<Dataset> datasets(DatacardRegistry cards, List<DatasetConfig> configs, String key) {
        List<Dataset> out = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) out.add(dataset(cards, configs.get(i), "trainer." + key + "[" + i + "]"));
        return out;
    }

    static Dataset dataset(DatacardRegistry cards, DatasetConfig d, String path) {
        refuseUnsupported(d, path);
        Dataset ds = cards.resolve(reference(d));
        DataCard card = ds.card();
        if (d.parquet_path() != null && !d.parquet_path().isBlank()) {
            if (d.parquet_path().matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
                throw new LcmException(path + ".parquet_path " + d.parquet_path() + ": only local paths are supported");
            }
            ds = ds.withRoot(Paths.get(d.parquet_path()).toAbsolutePath().normalize());
        }
        DataColumns c = ds.columns();
        ds = ds.withColumns(new DataColumns(pick(d.source_column(), c.source()), pick(d.source_text_column(), c.sourceText()),
                pick(d.target_column(), c.target()), pick(d.target_text_column(), c.targetText()), c.id()));
        String filters = pick(d.filters(), card.string("filters"));
        String partitionFilters = pick(d.partition_filters(), card.string("partition_filters"));
        DatasetConfig.LimitOptions limit = d.limit() != null ? d.limit() : cardLimit(card);
        String qualityColumn = pick(d.source_quality_column(), card.string("source_quality_column"));
        List<Double> range = d.source_quality_range() != null ? d.source_quality_range() : card.numbers("source_quality_range");
        if (range != null && range.size() != 2) {
            throw new LcmException(path + ".source_quality_range must be [min, max], got " + range);
        }
        List<DatasetOptions.SequencePart> src = sequences(d.source_sequences(), card, "source_sequences");
        List<DatasetOptions.SequencePart> tgt = sequences(d.target_sequences(), card, "target_sequences");
        boolean inMemory = d.sharding_in_memory() || Boolean.TRUE.equals(card.bool("sharding_in_memory"));
        Affixes affixes = new Affixes(d.source_prefix_text(), d.source_suffix_text(), d.target_prefix_text(), d.target_suffix_text());
        return ds.withOptions(new DatasetOptions(
                filters == null ? null : RowFilter.parse(path + ".filters", filters),
                partitionFilters == null ? null : RowFilter.parse(path + ".partition_filters", partitionFilters),
                limit == null ? null : new DatasetOptions.Limit(limit.fraction_of_files(), limit.nb_files(), limit.nb_fragments(),
                        limit.nb_rows() == null ? null : limit.nb_rows().longValue()),
                qualityColumn, range, src, tgt, affixes.isEmpty() ? null : affixes, inMemory));
    }

    /** Fields of {@code ParquetDatasetConfig} that lcm4j does not implement: refused when set, never ignored. */
    private static void refuseUnsupported(DatasetConfig d, String path) {
        if (d.columns() != null && !d.columns().isEmpty()) {
            throw new LcmException(path + ".columns is not supported: lcm4j reads the source, target, text and quality"
                    + " columns and those the filters name; remove columns");
        }
        if (Boolean.FALSE.equals(d.split_to_row_groups())) {
            throw new LcmException(path + ".split_to_row_groups: false is not supported: lcm4j always reads row group by"
                    + " row group; remove the key");
        }
        if (d.nb_parallel_fragments() != null) {
            throw new LcmException(path + ".nb_parallel_fragments is not supported: lcm4j fills a buffer up to the token"
                    + " budget from at most 100 row groups; remove the key");
        }
        if (d.filesystem() != null || d.filesystem_expr() != null) {
            throw new LcmException(path + "." + (d.filesystem() != null ? "filesystem" : "filesystem_expr")
                    + " is not supported (deprecated in the reference): lcm4j reads local files; remove the key");
        }
        if (d.silent_freeze()) {
            throw new LcmException(path + ".silent_freeze: true is not supported: lcm4j composes each dataset entry once"
                    + " (command-line ++ overrides always win) and has no freeze mechanism; remove the key");
        }
    }

    private static String pick(String config, String card) {
        return config != null && !config.isEmpty() ? config : card;
    }

    @SuppressWarnings("unchecked")
    private static DatasetConfig.LimitOptions cardLimit(DataCard card) {
        Map<String, Object> m = card.map("limit");
        if (m == null) return null;
        return ConfigBinder.bind(m, DatasetConfig.LimitOptions.class, "datacard '" + card.name() + "' in " + card.file() + ": limit");
    }

    @SuppressWarnings("unchecked")
    private static List<DatasetOptions.SequencePart> sequences(List<DatasetConfig.SonarTextColumn> config, DataCard card, String key) {
        List<DatasetConfig.SonarTextColumn> items = config;
        if (items == null) {
            List<Object> raw = card.list(key);
            if (raw == null) return null;
            items = new ArrayList<>();
            for (Object o : raw) {
                if (!(o instanceof Map<?, ?> m)) {
                    throw new LcmException("datacard '" + card.name() + "' in " + card.file() + ": " + key
                            + " must be a list of mappings {text_value | text_column, sonar_column}, got " + o);
                }
                items.add(ConfigBinder.bind((Map<String, Object>) m, DatasetConfig.SonarTextColumn.class,
                        "datacard '" + card.name() + "' in " + card.file() + ": " + key));
            }
        }
        List<DatasetOptions.SequencePart> out = new ArrayList<>();
        for (DatasetConfig.SonarTextColumn t : items) out.add(new DatasetOptions.SequencePart(t.text_value(), t.text_column(), t.sonar_column()));
        return out;
    }

    /** Keys whose change does not make a different run (resuming with a longer schedule or other logging is fine). */
    private static final List<String> RESUMABLE_KEYS = List.of("max_steps", "validate_every_n_steps", "checkpoint_every_n_steps",
            "save_model_every_n_steps", "keep_last_n_checkpoints", "publish_metrics_every_n_steps", "output_dir", "tb_dir",
            "log_folder", "requirements", "debug", "profile");

    /**
     * Refuses an output_dir that holds another run's checkpoints (different config) unless {@code overwrite}, which
     * removes them. Returns true when checkpoints of this same run exist (the caller resumes).
     */
    @SuppressWarnings("unchecked")
    public boolean prepareOutputDir(boolean overwrite) {
        List<Path> steps = Checkpointer.stepDirs(checkpointDir);
        if (steps.isEmpty()) return false;
        Path dump = outputDir.resolve("config_logs").resolve(ConfigDump.FILE_NAME);
        boolean same = false;
        String diff = "no config_logs/all_config.yaml";
        if (Files.isRegularFile(dump)) {
            try {
                Map<String, Object> old = new Yaml().load(Files.readString(dump));
                Map<String, Object> oldT = comparable((Map<String, Object>) old.get("trainer"));
                Map<String, Object> newT = comparable((Map<String, Object>) run.toTree().get("trainer"));
                same = Objects.equals(String.valueOf(oldT), String.valueOf(newT));
                if (!same) diff = firstDifference(oldT, newT);
            } catch (IOException | RuntimeException e) {
                diff = "unreadable " + dump + ": " + e.getMessage();
            }
        }
        if (same) return true;
        if (!overwrite) {
            throw new LcmException("output_dir " + outputDir + " holds checkpoints of another run (" + diff
                    + "); choose another ++trainer.output_dir or pass --overwrite to delete them");
        }
        try {
            FileTrees.deleteTree(checkpointDir);
            Files.deleteIfExists(outputDir.resolve("model_card.yaml"));
            Files.deleteIfExists(outputDir.resolve("metrics.jsonl"));
        } catch (IOException e) {
            throw new LcmException("cannot remove old checkpoints in " + checkpointDir + ": " + e.getMessage());
        }
        return false;
    }

    private static Map<String, Object> comparable(Map<String, Object> t) {
        Map<String, Object> c = new LinkedHashMap<>(t == null ? Map.of() : t);
        RESUMABLE_KEYS.forEach(c::remove);
        return c;
    }

    private static String firstDifference(Map<String, Object> a, Map<String, Object> b) {
        for (String k : b.keySet()) {
            if (!Objects.equals(String.valueOf(a.get(k)), String.valueOf(b.get(k)))) return "trainer." + k + " was " + a.get(k) + ", now " + b.get(k);
        }
        for (String k : a.keySet()) if (!b.containsKey(k)) return "trainer." + k + " was set";
        return "configs differ";
    }

    public void dumpConfig() {
        ConfigDump.write(run);
    }

    /**
     * Records the training data's concept space in the card (lcm4j fields, ignored by the reference): the first
     * training datacard's {@code concept_encoder} and, as {@code concept_decoder}, a retrieval decoder over that
     * dataset's sentence bank if it has one, else SONAR's decoder for SONAR data. Evaluation and text generation use
     * them to encode prompts and decode generations in the space the model was trained in.
     */
    private void conceptSpace(Map<String, Object> card, Path home) {
        if (cfg.training_data() == null || cfg.training_data().isEmpty() || cfg.training_data().get(0).name() == null) return;
        try {
            Dataset ds = DatacardRegistry.fromEnvironment().resolve(cfg.training_data().get(0).name());
            Object enc = ds.card().extra().get("concept_encoder");
            if (enc == null) return;
            card.put("concept_encoder", String.valueOf(enc));
            Path root = ds.root();
            if (Files.isRegularFile(root.resolve("sentence_bank.bin"))) card.put("concept_decoder", "bank:" + relative(home, root));
            else if (String.valueOf(enc).startsWith("text_sonar")) card.put("concept_decoder", "text_sonar_basic_decoder");
        } catch (RuntimeException e) {
            // the card stays valid without these fields; evaluation then asks for --encoder_config/--decoder_config
        }
    }

    /** The reference's model_card.yaml (keys sorted), plus lcm4j provenance. */
    /**
     * Writes the model card {@code target} for the checkpoint {@code checkpoint}. Every path in it is relative to
     * {@code home}, the directory the card lives in (a checkpoint's card is written in a temporary directory first), so
     * a run directory can be moved or copied as a whole.
     */
    public void writeModelCard(Path target, Path home, Path checkpoint, long step) {
        Map<String, Object> card = new TreeMap<>();
        card.put("__source__", "inproc");
        card.put("checkpoint", relative(home, checkpoint));
        if (modelArch != null) card.put("model_arch", modelArch);
        else card.put("model_config", modelConfigTree);
        card.put("model_family", family);
        card.put("name", "on_the_fly_lcm");
        conceptSpace(card, home);
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("step", step);
        prov.put("training_data", references(cfg.training_data()));
        prov.put("seed", cfg.seed());
        prov.put("config", relative(home, outputDir.resolve("config_logs").resolve(ConfigDump.FILE_NAME)));
        if (finetuneFrom != null) prov.put("finetuned_from", finetuneFrom.name());
        card.put("lcm4j_provenance", prov);
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        AtomicFiles.writeString(target, new Yaml(o).dump(card));
    }

    /** {@code to} relative to the directory {@code from} (both made absolute), with forward slashes. */
    static String relative(Path from, Path to) {
        return from.toAbsolutePath().normalize().relativize(to.toAbsolutePath().normalize()).toString().replace('\\', '/');
    }

}
