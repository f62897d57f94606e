package dev.lcm4j.config;

import dev.lcm4j.LcmException;

import java.util.List;
import java.util.Map;

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
 * @param use_fsdp                     FSDP sharding; ignored by lcm4j (single process). Default true.
 * @param fsdp_fp32_reduce             FSDP float32 reduction; ignored by lcm4j. Default false.
 * @param fsdp_wrap_granularity        FSDP wrapping ({@code model}, {@code layer}, {@code stack}); ignored. Default {@code model}.
 * @param fsdp_memory_policy           FSDP memory policy ({@code standard}, {@code low}, {@code very_low}); ignored.
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
 * @param loss_scaler_init_scale       initial fp16 loss scale. Default 2^15 = 32768.
 * @param loss_scaler_scale_window     steps without overflow before the scale grows; null = automatic. Default null.
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
 * @param requirements                 cluster resources, recorded only. Default {@link RequirementsConfig#defaults()}.
 * @param use_submitit                 launch through submitit; ignored by lcm4j. Default true.
 * @param fake_gang_device             reference test hook; ignored. Default null.
 * @param experiment_name              run name for loggers. Default null.
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
                             List<String> freeze_modules, String freezing_strategy, int max_subword_length) {

    public static final List<String> LR_SCHEDULES = List.of("noop", "myle", "cosine", "wsd", "polynomial");
    public static final List<String> DTYPES = List.of("torch.float32", "torch.bfloat16", "torch.float16");
    public static final List<String> FREEZING_STRATEGIES = List.of("none", "modules", "ffn", "ffn-adaln", "adaln");
    public static final List<String> FSDP_WRAP_GRANULARITIES = List.of("model", "layer", "stack");
    public static final List<String> FSDP_MEMORY_POLICIES = List.of("standard", "low", "very_low");

    public static TrainingConfig defaults() {
        return new TrainingConfig(null, null, null, null, CriterionConfig.defaults(), null, null, null,
                "torch.float32", true, true, false, "model", "standard", 0.004, "myle", 1e-7, 1e-5,
                List.of(0.1, 0.4, 0.5), 800, 10_000, 1, 1000.0, false, 0.1, List.of(0.9, 0.98), 1e-6,
                32768.0, null, false, 5000, 5000, 5000, -1, false, 1, 1000, 2, false, 200, 3, false,
                DataLoadingConfig.defaults(), DataLoadingConfig.validationDefaults(), List.of(), List.of(),
                RequirementsConfig.defaults(), true, null, null, null, null, null, false, false, 10, 10, null,
                "none", 512);
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
        oneOf("trainer.lr_schedule", lr_schedule, LR_SCHEDULES);
        oneOf("trainer.freezing_strategy", freezing_strategy, FREEZING_STRATEGIES);
        oneOf("trainer.fsdp_wrap_granularity", fsdp_wrap_granularity, FSDP_WRAP_GRANULARITIES);
        oneOf("trainer.fsdp_memory_policy", fsdp_memory_policy, FSDP_MEMORY_POLICIES);
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
    }

    private static void oneOf(String key, String value, List<String> allowed) {
        if (!allowed.contains(value)) {
            throw new LcmException(key + ": unknown value '" + value + "'; known: " + String.join(", ", allowed));
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) throw new LcmException(key + " must be > 0, got " + value);
    }
}
