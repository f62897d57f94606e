package dev.lcm4j.config;

import dev.lcm4j.LcmException;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code trainer} node (reference {@code TrainingConfig} in {@code lcm/train/trainer.py} plus
 * {@code LCMTrainingConfig.max_subword_length}). Defaults are the reference's dataclass defaults, not the recipes'.
 * Fields about FSDP, SLURM/submitit and Weights &amp; Biases are accepted so that reference recipes bind, and are
 * ignored by lcm4j (single process, no W&amp;B).
 *
 * @param _trainer_                    reference trainer builder (dotted Python name); lcm4j maps it to its trainer
 *                                     (MSE LCM or two-tower). Default null.
 * @param model_arch                   registered architecture to train from scratch. Default null.
 * @param model_arch_overrides         fields merged into the architecture's config. Default null.
 * @param model_config_or_name         model card name (finetuning) or a full model config mapping. Default null.
 * @param criterion                    loss. Required (reference: MISSING).
 * @param output_dir                   run directory (checkpoints, config_logs, tb). Required ({@code ???}).
 * @param log_folder                   log directory. Default null.
 * @param tb_dir                       TensorBoard directory; null → {@code output_dir/tb}. Default null.
 * @param dtype                        training dtype: {@code torch.float32}, {@code torch.bfloat16},
 *                                     {@code torch.float16}. Default {@code torch.float32} (recipes: float16).
 * @param use_optimizer_in_fp32        keep optimizer state in float32. Default true.
 * @param use_fsdp                     with several processes, shard the optimizer state over the ranks (ZeRO, see
 *                                     docs/distributed.md; parameters stay replicated); one process: no effect.
 *                                     Default true.
 * @param fsdp_fp32_reduce             with use_fsdp and bfloat16 compute: sum gradients in float32 (true) or in
 *                                     bfloat16 (false). Default false (the recipes: true).
 * @param fsdp_wrap_granularity        FSDP's wrapping unit; lcm4j shards one flat vector, which is {@code model}; the
 *                                     other values ({@code layer}, {@code stack}) are refused. Default {@code model}.
 * @param fsdp_memory_policy           FSDP memory policy; only {@code standard} (the default) is implemented, {@code low}
 *                                     and {@code very_low} are refused.
 *                                     Default {@code standard}.
 * @param lr                           peak learning rate. Default 0.004.
 * @param lr_schedule                  {@code noop}, {@code myle}, {@code cosine}, {@code wsd}, {@code polynomial}.
 *                                     Default {@code myle}.
 * @param start_lr                     learning rate at step 0 of the warmup. Default 1e-7.
 * @param final_lr                     learning rate at the end of the schedule. Default 1e-5.
 * @param lr_stage_ratios              warmup/hold/decay fractions of {@code wsd}. Default [0.1, 0.4, 0.5].
 * @param num_lr_warmup_steps          linear warmup steps. Default 800.
 * @param max_steps                    optimizer steps. Default 10000.
 * @param gradient_accumulation        batches per optimizer step. Default 1.
 * @param max_grad_norm                gradient clipping norm. Default 1000.
 * @param turn_off_grad_normalization  do not scale gradients by the number of targets. Default false.
 * @param weight_decay                 AdamW weight decay (all parameters). Default 0.1.
 * @param adam_betas                   AdamW betas. Default [0.9, 0.98].
 * @param adam_eps                     AdamW epsilon. Default 1e-6.
 * @param loss_scaler_init_scale       initial fp16 loss scale (fp16 on CUDA only; refused elsewhere). Default 2^15 = 32768.
 * @param loss_scaler_scale_window     clean steps before the fp16 loss scale doubles; null = fairseq2's
 *                                     max(int(2^14 / world_size), 1). Default null.
 * @param use_autocast                 run the forward pass under autocast. Default false.
 * @param validate_every_n_steps       validation period. Default 5000.
 * @param checkpoint_every_n_steps     checkpoint period. Default 5000.
 * @param save_model_every_n_steps     consolidated model period; a multiple of checkpoint_every_n_steps. Default 5000.
 * @param keep_last_n_checkpoints      checkpoints kept; -1 = all. Default -1.
 * @param preserve_consolidated_models keep model.pt of pruned checkpoints. Default false.
 * @param publish_metrics_every_n_steps metrics logging period. Default 1.
 * @param gc_every_n_steps             garbage collection period. Default 1000.
 * @param seed                         training RNG seed. Default 2.
 * @param profile                      run the profiler. Default false.
 * @param profiler_skip_first          profiler: steps skipped. Default 200.
 * @param profiler_active              profiler: steps recorded. Default 3.
 * @param debug                        debug mode (reference: set when launcher.cluster is debug). Default false.
 * @param data_loading_config          training loader. Default {@link DataLoadingConfig#defaults()} (reference: MISSING).
 * @param validation_data_loading_config validation loader. Default {@link DataLoadingConfig#validationDefaults()}.
 * @param training_data                training datasets. Required, non-empty.
 * @param validation_data              validation datasets. Default empty.
 * @param requirements                 the SLURM job's shape with launcher=submitit. Default {@link RequirementsConfig#defaults()}.
 * @param use_submitit                 launch through submitit; ignored by lcm4j. Default true.
 * @param fake_gang_device             reference test hook; ignored. Default null.
 * @param experiment_name              run name for loggers and the SLURM job name. Default null ({@code lcm_train}).
 * @param wandb_project                W&amp;B project; unsupported, ignored. Default null.
 * @param wandb_run_name               W&amp;B run name; unsupported, ignored. Default null.
 * @param wandb_entity                 W&amp;B entity; unsupported, ignored. Default null.
 * @param raise_oom                    re-raise out-of-memory errors instead of retrying. Default false.
 * @param raise_nan_or_inf             re-raise NaN/Inf losses instead of retrying. Default false.
 * @param max_ooms                     out-of-memory retries. Default 10.
 * @param max_nans_or_infs             NaN/Inf loss retries. Default 10.
 * @param freeze_modules               module name prefixes to freeze (freezing_strategy modules). Default null.
 * @param freezing_strategy            {@code none}, {@code modules}, {@code ffn}, {@code ffn-adaln}, {@code adaln}.
 *                                     Default {@code none}.
 * @param max_subword_length           max subword tokens when decoding text in training. Default 512.
 * @param keep_best_checkpoint         lcm4j: checkpoint at every validation, never prune the checkpoint with the lowest
 *                                     validation loss, and point the run's {@code model_card.yaml} at it instead of the
 *                                     last one. Needs validation data. Default false.
 * @param early_stopping_patience      lcm4j: stop when the validation loss has not improved for this many validations
 *                                     in a row; 0 = never. Needs validation data. Default 0.
 * @param device                       lcm4j (the reference's gang puts rank r on {@code cuda:LOCAL_RANK}): {@code auto}
 *                                     (a GPU when this build has the GPU natives and one is visible, else the CPU),
 *                                     {@code cpu}, {@code cuda} or {@code cuda:N}; under data parallelism
 *                                     {@code cuda}/{@code auto} mean {@code cuda:LOCAL_RANK}. Default {@code auto}.
 * @param activation_checkpointing     lcm4j (fairseq2's name for the same setting): keep only each transformer layer's
 *                                     input in the forward pass and recompute the layer in the backward pass (layer-wise
 *                                     activation checkpointing; same gradients, less memory, about one more forward
 *                                     pass of compute). Refused for a model without such layers. Default false.
 */
public record TrainingConfig(String _trainer_, String model_arch, Map<String, Object> model_arch_overrides,
                             Object model_config_or_name, CriterionConfig criterion, String output_dir,
                             String log_folder, String tb_dir, String dtype, boolean use_optimizer_in_fp32,
                             boolean use_fsdp, boolean fsdp_fp32_reduce, String fsdp_wrap_granularity,
                             String fsdp_memory_policy, double lr, String lr_schedule, double start_lr,
                             double final_lr, List<Double> lr_stage_ratios, int num_lr_warmup_steps, int max_steps,
                             int gradient_accumulation, double max_grad_norm, boolean turn_off_grad_normalization,
                             double weight_decay, List<Double> adam_betas, double adam_eps,
                             double loss_scaler_init_scale, Integer loss_scaler_scale_window, boolean use_autocast,
                             int validate_every_n_steps, int checkpoint_every_n_steps, int save_model_every_n_steps,
                             int keep_last_n_checkpoints, boolean preserve_consolidated_models,
                             int publish_metrics_every_n_steps, int gc_every_n_steps, int seed, boolean profile,
                             int profiler_skip_first, int profiler_active, boolean debug,
                             DataLoadingConfig data_loading_config,
                             DataLoadingConfig validation_data_loading_config, List<DatasetConfig> training_data,
                             List<DatasetConfig> validation_data, RequirementsConfig requirements,
                             boolean use_submitit, String fake_gang_device, String experiment_name,
                             String wandb_project, String wandb_run_name, String wandb_entity, boolean raise_oom,
                             boolean raise_nan_or_inf, int max_ooms, int max_nans_or_infs,
                             List<String> freeze_modules, String freezing_strategy, int max_subword_length,
                             boolean keep_best_checkpoint, int early_stopping_patience, String device,
                             boolean activation_checkpointing) {

    public static final List<String> LR_SCHEDULES = List.of("noop", "myle", "cosine", "wsd", "polynomial");
    public static final List<String> DTYPES = List.of("torch.float32", "torch.bfloat16", "torch.float16");
    public static final List<String> FREEZING_STRATEGIES = List.of("none", "modules", "ffn", "ffn-adaln", "adaln");
    public static final List<String> FSDP_WRAP_GRANULARITIES = List.of("model", "layer", "stack");
    public static final List<String> FSDP_MEMORY_POLICIES = List.of("standard", "low", "very_low");

    public static TrainingConfig defaults() {
        return new Builder().build();
    }

    /** Binds the {@code trainer} node of a composed tree (path {@code trainer}) and validates it. */
    public static TrainingConfig fromTree(Map<String, Object> trainerNode) {
        TrainingConfig config = ConfigBinder.bind(trainerNode, TrainingConfig.class, "trainer");
        config.validate();
        return config;
    }

    /** This config as a tree, every field present. */
    public Map<String, Object> toTree() {
        return ConfigBinder.toTree(this);
    }

    /** This config as block YAML, every field present. */
    public String toYaml() {
        return Yaml11.dump(toTree());
    }

    /** Checks the reference's constraints; messages name the {@code trainer.*} key. */
    public void validate() {
        if (output_dir == null || output_dir.isBlank()) {
            throw new LcmException("trainer.output_dir is required: add ++trainer.output_dir=DIR");
        }
        if (model_arch == null && model_config_or_name == null) {
            throw new LcmException("trainer: set model_arch (train a new model) or model_config_or_name "
                    + "(model card to finetune, or a model config)");
        }
        if (model_config_or_name != null && !(model_config_or_name instanceof String)
                && !(model_config_or_name instanceof Map)) {
            throw new LcmException("trainer.model_config_or_name: expected a model card name or a mapping, got "
                    + model_config_or_name);
        }
        if (criterion == null) throw new LcmException("trainer.criterion is required");
        criterion.validate("trainer.criterion");
        oneOf("trainer.dtype", dtype, DTYPES);
        dev.lcm4j.torch.Devices.checkSyntax(device, "trainer.device");
        oneOf("trainer.lr_schedule", lr_schedule, LR_SCHEDULES);
        oneOf("trainer.freezing_strategy", freezing_strategy, FREEZING_STRATEGIES);
        oneOf("trainer.fsdp_wrap_granularity", fsdp_wrap_granularity, FSDP_WRAP_GRANULARITIES);
        oneOf("trainer.fsdp_memory_policy", fsdp_memory_policy, FSDP_MEMORY_POLICIES);
        if (!"model".equals(fsdp_wrap_granularity)) {
            throw new LcmException("trainer.fsdp_wrap_granularity=" + fsdp_wrap_granularity + " is not supported: lcm4j shards the"
                    + " optimizer state as one flat vector over the ranks, which is the 'model' unit; remove the key or set model");
        }
        if (!"standard".equals(fsdp_memory_policy)) {
            throw new LcmException("trainer.fsdp_memory_policy=" + fsdp_memory_policy + " is not supported: lcm4j keeps the"
                    + " parameters replicated (only the optimizer state is sharded); remove the key or set standard");
        }
        refuseUnimplemented();
        if (lr <= 0) throw new LcmException("trainer.lr must be > 0, got " + lr);
        if ("wsd".equals(lr_schedule) && (lr <= start_lr || lr <= final_lr)) {
            throw new LcmException("trainer.lr_schedule=wsd needs lr > start_lr and lr > final_lr (got lr=" + lr
                    + ", start_lr=" + start_lr + ", final_lr=" + final_lr + ")");
        }
        if ("wsd".equals(lr_schedule) && (lr_stage_ratios == null || lr_stage_ratios.size() != 3)) {
            throw new LcmException("trainer.lr_stage_ratios must have 3 values for wsd, got " + lr_stage_ratios);
        }
        if (adam_betas == null || adam_betas.size() != 2) {
            throw new LcmException("trainer.adam_betas must be [beta1, beta2], got " + adam_betas);
        }
        positive("trainer.max_steps", max_steps);
        positive("trainer.gradient_accumulation", gradient_accumulation);
        positive("trainer.validate_every_n_steps", validate_every_n_steps);
        positive("trainer.checkpoint_every_n_steps", checkpoint_every_n_steps);
        positive("trainer.save_model_every_n_steps", save_model_every_n_steps);
        positive("trainer.publish_metrics_every_n_steps", publish_metrics_every_n_steps);
        if (!(loss_scaler_init_scale > 0) || !Float.isFinite((float) loss_scaler_init_scale)) {
            throw new LcmException("trainer.loss_scaler_init_scale must be > 0 and below float32's maximum, got " + loss_scaler_init_scale);
        }
        if (loss_scaler_scale_window != null) positive("trainer.loss_scaler_scale_window", loss_scaler_scale_window);
        if (num_lr_warmup_steps < 0) {
            throw new LcmException("trainer.num_lr_warmup_steps must be >= 0, got " + num_lr_warmup_steps);
        }
        if (save_model_every_n_steps % checkpoint_every_n_steps != 0) {
            throw new LcmException("trainer.save_model_every_n_steps (" + save_model_every_n_steps
                    + ") must be a multiple of trainer.checkpoint_every_n_steps (" + checkpoint_every_n_steps + ")");
        }
        if (data_loading_config == null) throw new LcmException("trainer.data_loading_config is required");
        data_loading_config.validate("trainer.data_loading_config");
        if (validation_data_loading_config != null) {
            validation_data_loading_config.validateForValidation("trainer.validation_data_loading_config");
        }
        if (training_data == null || training_data.isEmpty()) {
            throw new LcmException("trainer.training_data is empty: add at least one dataset, e.g. "
                    + "++trainer.training_data=[{name: pretraining_data=train}]");
        }
        for (int i = 0; i < training_data.size(); i++) training_data.get(i).validate("trainer.training_data[" + i + "]");
        if (validation_data != null) {
            for (int i = 0; i < validation_data.size(); i++) {
                validation_data.get(i).validate("trainer.validation_data[" + i + "]");
            }
        }
        if (early_stopping_patience < 0) {
            throw new LcmException("trainer.early_stopping_patience must be >= 0 (0 = never stop early), got " + early_stopping_patience);
        }
        boolean noValidation = validation_data == null || validation_data.isEmpty();
        if ((keep_best_checkpoint || early_stopping_patience > 0) && noValidation) {
            throw new LcmException("trainer." + (keep_best_checkpoint ? "keep_best_checkpoint" : "early_stopping_patience")
                    + " compares validation losses, but trainer.validation_data is empty; add"
                    + " ++trainer.validation_data=[{name: DATASET=validation}]");
        }
    }

    /**
     * Reference keys lcm4j has no counterpart for: their defaults are accepted (the reference's recipes spell them
     * out), any other value is refused by name rather than silently ignored.
     */
    private void refuseUnimplemented() {
        String metrics = "; training metrics are in <output_dir>/metrics.jsonl and TensorBoard (<output_dir>/tb or trainer.tb_dir)";
        for (Map.Entry<String, String> w : new TreeMap<>(Map.of("wandb_project", String.valueOf(wandb_project),
                "wandb_run_name", String.valueOf(wandb_run_name), "wandb_entity", String.valueOf(wandb_entity))).entrySet()) {
            if (!"null".equals(w.getValue())) {
                throw new LcmException("trainer." + w.getKey() + "=" + w.getValue() + " is not supported: lcm4j does not log to"
                        + " Weights & Biases" + metrics + "; remove the key");
            }
        }
        if (profile || profiler_skip_first != 200 || profiler_active != 3) {
            String key = profile ? "profile=true" : profiler_skip_first != 200 ? "profiler_skip_first=" + profiler_skip_first
                    : "profiler_active=" + profiler_active;
            throw new LcmException("trainer." + key + " is not supported: lcm4j has no training profiler; step times are in"
                    + " metrics.jsonl (sent/s) and bench/ measures them; remove the key");
        }
        if (gc_every_n_steps != 1000) {
            throw new LcmException("trainer.gc_every_n_steps=" + gc_every_n_steps + " is not supported: it runs Python's garbage"
                    + " collector in the reference, and the JVM collects on its own (native tensors are freed per step); remove the key");
        }
        if (max_ooms != 10 || raise_oom) {
            throw new LcmException("trainer." + (raise_oom ? "raise_oom=true" : "max_ooms=" + max_ooms) + " is not supported: lcm4j"
                    + " does not retry a step after running out of memory, it stops with one line naming the setting to lower"
                    + " (checkpoints already written stay); remove the key");
        }
    }

    private static void oneOf(String key, String value, List<String> allowed) {
        if (!allowed.contains(value)) {
            throw new LcmException(key + ": unknown value '" + value + "'; known: " + String.join(", ", allowed));
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) throw new LcmException(key + " must be > 0, got " + value);
    }

    /** A builder holding the defaults, to change fields by name as the reference's keyword arguments do. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Named setters (the YAML keys) over the defaults or a copy of a config; {@link #build()} checks as the constructor does. */
    public static final class Builder {
        private String _trainer_ = null;
        private String model_arch = null;
        private Map<String, Object> model_arch_overrides = null;
        private Object model_config_or_name = null;
        private CriterionConfig criterion = CriterionConfig.defaults();
        private String output_dir = null;
        private String log_folder = null;
        private String tb_dir = null;
        private String dtype = "torch.float32";
        private boolean use_optimizer_in_fp32 = true;
        private boolean use_fsdp = true;
        private boolean fsdp_fp32_reduce = false;
        private String fsdp_wrap_granularity = "model";
        private String fsdp_memory_policy = "standard";
        private double lr = 0.004;
        private String lr_schedule = "myle";
        private double start_lr = 1e-7;
        private double final_lr = 1e-5;
        private List<Double> lr_stage_ratios = List.of(0.1, 0.4, 0.5);
        private int num_lr_warmup_steps = 800;
        private int max_steps = 10_000;
        private int gradient_accumulation = 1;
        private double max_grad_norm = 1000.0;
        private boolean turn_off_grad_normalization = false;
        private double weight_decay = 0.1;
        private List<Double> adam_betas = List.of(0.9, 0.98);
        private double adam_eps = 1e-6;
        private double loss_scaler_init_scale = 32768.0;
        private Integer loss_scaler_scale_window = null;
        private boolean use_autocast = false;
        private int validate_every_n_steps = 5000;
        private int checkpoint_every_n_steps = 5000;
        private int save_model_every_n_steps = 5000;
        private int keep_last_n_checkpoints = -1;
        private boolean preserve_consolidated_models = false;
        private int publish_metrics_every_n_steps = 1;
        private int gc_every_n_steps = 1000;
        private int seed = 2;
        private boolean profile = false;
        private int profiler_skip_first = 200;
        private int profiler_active = 3;
        private boolean debug = false;
        private DataLoadingConfig data_loading_config = DataLoadingConfig.defaults();
        private DataLoadingConfig validation_data_loading_config = DataLoadingConfig.validationDefaults();
        private List<DatasetConfig> training_data = List.of();
        private List<DatasetConfig> validation_data = List.of();
        private RequirementsConfig requirements = RequirementsConfig.defaults();
        private boolean use_submitit = true;
        private String fake_gang_device = null;
        private String experiment_name = null;
        private String wandb_project = null;
        private String wandb_run_name = null;
        private String wandb_entity = null;
        private boolean raise_oom = false;
        private boolean raise_nan_or_inf = false;
        private int max_ooms = 10;
        private int max_nans_or_infs = 10;
        private List<String> freeze_modules = null;
        private String freezing_strategy = "none";
        private int max_subword_length = 512;
        private boolean keep_best_checkpoint = false;
        private int early_stopping_patience = 0;
        private String device = dev.lcm4j.torch.Devices.AUTO;
        private boolean activation_checkpointing = false;

        private Builder() {
        }

        private Builder(TrainingConfig c) {
            this._trainer_ = c._trainer_;
            this.model_arch = c.model_arch;
            this.model_arch_overrides = c.model_arch_overrides;
            this.model_config_or_name = c.model_config_or_name;
            this.criterion = c.criterion;
            this.output_dir = c.output_dir;
            this.log_folder = c.log_folder;
            this.tb_dir = c.tb_dir;
            this.dtype = c.dtype;
            this.use_optimizer_in_fp32 = c.use_optimizer_in_fp32;
            this.use_fsdp = c.use_fsdp;
            this.fsdp_fp32_reduce = c.fsdp_fp32_reduce;
            this.fsdp_wrap_granularity = c.fsdp_wrap_granularity;
            this.fsdp_memory_policy = c.fsdp_memory_policy;
            this.lr = c.lr;
            this.lr_schedule = c.lr_schedule;
            this.start_lr = c.start_lr;
            this.final_lr = c.final_lr;
            this.lr_stage_ratios = c.lr_stage_ratios;
            this.num_lr_warmup_steps = c.num_lr_warmup_steps;
            this.max_steps = c.max_steps;
            this.gradient_accumulation = c.gradient_accumulation;
            this.max_grad_norm = c.max_grad_norm;
            this.turn_off_grad_normalization = c.turn_off_grad_normalization;
            this.weight_decay = c.weight_decay;
            this.adam_betas = c.adam_betas;
            this.adam_eps = c.adam_eps;
            this.loss_scaler_init_scale = c.loss_scaler_init_scale;
            this.loss_scaler_scale_window = c.loss_scaler_scale_window;
            this.use_autocast = c.use_autocast;
            this.validate_every_n_steps = c.validate_every_n_steps;
            this.checkpoint_every_n_steps = c.checkpoint_every_n_steps;
            this.save_model_every_n_steps = c.save_model_every_n_steps;
            this.keep_last_n_checkpoints = c.keep_last_n_checkpoints;
            this.preserve_consolidated_models = c.preserve_consolidated_models;
            this.publish_metrics_every_n_steps = c.publish_metrics_every_n_steps;
            this.gc_every_n_steps = c.gc_every_n_steps;
            this.seed = c.seed;
            this.profile = c.profile;
            this.profiler_skip_first = c.profiler_skip_first;
            this.profiler_active = c.profiler_active;
            this.debug = c.debug;
            this.data_loading_config = c.data_loading_config;
            this.validation_data_loading_config = c.validation_data_loading_config;
            this.training_data = c.training_data;
            this.validation_data = c.validation_data;
            this.requirements = c.requirements;
            this.use_submitit = c.use_submitit;
            this.fake_gang_device = c.fake_gang_device;
            this.experiment_name = c.experiment_name;
            this.wandb_project = c.wandb_project;
            this.wandb_run_name = c.wandb_run_name;
            this.wandb_entity = c.wandb_entity;
            this.raise_oom = c.raise_oom;
            this.raise_nan_or_inf = c.raise_nan_or_inf;
            this.max_ooms = c.max_ooms;
            this.max_nans_or_infs = c.max_nans_or_infs;
            this.freeze_modules = c.freeze_modules;
            this.freezing_strategy = c.freezing_strategy;
            this.max_subword_length = c.max_subword_length;
            this.keep_best_checkpoint = c.keep_best_checkpoint;
            this.early_stopping_patience = c.early_stopping_patience;
            this.device = c.device;
            this.activation_checkpointing = c.activation_checkpointing;
        }

        public Builder _trainer_(String v) {
            this._trainer_ = v;
            return this;
        }

        public Builder model_arch(String v) {
            this.model_arch = v;
            return this;
        }

        public Builder model_arch_overrides(Map<String, Object> v) {
            this.model_arch_overrides = v;
            return this;
        }

        public Builder model_config_or_name(Object v) {
            this.model_config_or_name = v;
            return this;
        }

        public Builder criterion(CriterionConfig v) {
            this.criterion = v;
            return this;
        }

        public Builder output_dir(String v) {
            this.output_dir = v;
            return this;
        }

        public Builder log_folder(String v) {
            this.log_folder = v;
            return this;
        }

        public Builder tb_dir(String v) {
            this.tb_dir = v;
            return this;
        }

        public Builder dtype(String v) {
            this.dtype = v;
            return this;
        }

        public Builder use_optimizer_in_fp32(boolean v) {
            this.use_optimizer_in_fp32 = v;
            return this;
        }

        public Builder use_fsdp(boolean v) {
            this.use_fsdp = v;
            return this;
        }

        public Builder fsdp_fp32_reduce(boolean v) {
            this.fsdp_fp32_reduce = v;
            return this;
        }

        public Builder fsdp_wrap_granularity(String v) {
            this.fsdp_wrap_granularity = v;
            return this;
        }

        public Builder fsdp_memory_policy(String v) {
            this.fsdp_memory_policy = v;
            return this;
        }

        public Builder lr(double v) {
            this.lr = v;
            return this;
        }

        public Builder lr_schedule(String v) {
            this.lr_schedule = v;
            return this;
        }

        public Builder start_lr(double v) {
            this.start_lr = v;
            return this;
        }

        public Builder final_lr(double v) {
            this.final_lr = v;
            return this;
        }

        public Builder lr_stage_ratios(List<Double> v) {
            this.lr_stage_ratios = v;
            return this;
        }

        public Builder num_lr_warmup_steps(int v) {
            this.num_lr_warmup_steps = v;
            return this;
        }

        public Builder max_steps(int v) {
            this.max_steps = v;
            return this;
        }

        public Builder gradient_accumulation(int v) {
            this.gradient_accumulation = v;
            return this;
        }

        public Builder max_grad_norm(double v) {
            this.max_grad_norm = v;
            return this;
        }

        public Builder turn_off_grad_normalization(boolean v) {
            this.turn_off_grad_normalization = v;
            return this;
        }

        public Builder weight_decay(double v) {
            this.weight_decay = v;
            return this;
        }

        public Builder adam_betas(List<Double> v) {
            this.adam_betas = v;
            return this;
        }

        public Builder adam_eps(double v) {
            this.adam_eps = v;
            return this;
        }

        public Builder loss_scaler_init_scale(double v) {
            this.loss_scaler_init_scale = v;
            return this;
        }

        public Builder loss_scaler_scale_window(Integer v) {
            this.loss_scaler_scale_window = v;
            return this;
        }

        public Builder use_autocast(boolean v) {
            this.use_autocast = v;
            return this;
        }

        public Builder validate_every_n_steps(int v) {
            this.validate_every_n_steps = v;
            return this;
        }

        public Builder checkpoint_every_n_steps(int v) {
            this.checkpoint_every_n_steps = v;
            return this;
        }

        public Builder save_model_every_n_steps(int v) {
            this.save_model_every_n_steps = v;
            return this;
        }

        public Builder keep_last_n_checkpoints(int v) {
            this.keep_last_n_checkpoints = v;
            return this;
        }

        public Builder preserve_consolidated_models(boolean v) {
            this.preserve_consolidated_models = v;
            return this;
        }

        public Builder publish_metrics_every_n_steps(int v) {
            this.publish_metrics_every_n_steps = v;
            return this;
        }

        public Builder gc_every_n_steps(int v) {
            this.gc_every_n_steps = v;
            return this;
        }

        public Builder seed(int v) {
            this.seed = v;
            return this;
        }

        public Builder profile(boolean v) {
            this.profile = v;
            return this;
        }

        public Builder profiler_skip_first(int v) {
            this.profiler_skip_first = v;
            return this;
        }

        public Builder profiler_active(int v) {
            this.profiler_active = v;
            return this;
        }

        public Builder debug(boolean v) {
            this.debug = v;
            return this;
        }

        public Builder data_loading_config(DataLoadingConfig v) {
            this.data_loading_config = v;
            return this;
        }

        public Builder validation_data_loading_config(DataLoadingConfig v) {
            this.validation_data_loading_config = v;
            return this;
        }

        public Builder training_data(List<DatasetConfig> v) {
            this.training_data = v;
            return this;
        }

        public Builder validation_data(List<DatasetConfig> v) {
            this.validation_data = v;
            return this;
        }

        public Builder requirements(RequirementsConfig v) {
            this.requirements = v;
            return this;
        }

        public Builder use_submitit(boolean v) {
            this.use_submitit = v;
            return this;
        }

        public Builder fake_gang_device(String v) {
            this.fake_gang_device = v;
            return this;
        }

        public Builder experiment_name(String v) {
            this.experiment_name = v;
            return this;
        }

        public Builder wandb_project(String v) {
            this.wandb_project = v;
            return this;
        }

        public Builder wandb_run_name(String v) {
            this.wandb_run_name = v;
            return this;
        }

        public Builder wandb_entity(String v) {
            this.wandb_entity = v;
            return this;
        }

        public Builder raise_oom(boolean v) {
            this.raise_oom = v;
            return this;
        }

        public Builder raise_nan_or_inf(boolean v) {
            this.raise_nan_or_inf = v;
            return this;
        }

        public Builder max_ooms(int v) {
            this.max_ooms = v;
            return this;
        }

        public Builder max_nans_or_infs(int v) {
            this.max_nans_or_infs = v;
            return this;
        }

        public Builder freeze_modules(List<String> v) {
            this.freeze_modules = v;
            return this;
        }

        public Builder freezing_strategy(String v) {
            this.freezing_strategy = v;
            return this;
        }

        public Builder keep_best_checkpoint(boolean v) {
            this.keep_best_checkpoint = v;
            return this;
        }

        public Builder early_stopping_patience(int v) {
            this.early_stopping_patience = v;
            return this;
        }

        public Builder device(String v) {
            this.device = v;
            return this;
        }

        public Builder activation_checkpointing(boolean v) {
            this.activation_checkpointing = v;
            return this;
        }

        public Builder max_subword_length(int v) {
            this.max_subword_length = v;
            return this;
        }

        public TrainingConfig build() {
            return new TrainingConfig(_trainer_, model_arch, model_arch_overrides, model_config_or_name, criterion, output_dir, log_folder, tb_dir, dtype, use_optimizer_in_fp32, use_fsdp, fsdp_fp32_reduce, fsdp_wrap_granularity, fsdp_memory_policy, lr, lr_schedule, start_lr, final_lr, lr_stage_ratios, num_lr_warmup_steps, max_steps, gradient_accumulation, max_grad_norm, turn_off_grad_normalization, weight_decay, adam_betas, adam_eps, loss_scaler_init_scale, loss_scaler_scale_window, use_autocast, validate_every_n_steps, checkpoint_every_n_steps, save_model_every_n_steps, keep_last_n_checkpoints, preserve_consolidated_models, publish_metrics_every_n_steps, gc_every_n_steps, seed, profile, profiler_skip_first, profiler_active, debug, data_loading_config, validation_data_loading_config, training_data, validation_data, requirements, use_submitit, fake_gang_device, experiment_name, wandb_project, wandb_run_name, wandb_entity, raise_oom, raise_nan_or_inf, max_ooms, max_nans_or_infs, freeze_modules, freezing_strategy, max_subword_length, keep_best_checkpoint, early_stopping_patience, device, activation_checkpointing);
        }
    }
}
