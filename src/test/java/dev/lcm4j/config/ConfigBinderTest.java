package dev.lcm4j.config;

import dev.lcm4j.LcmException;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.nn.denoisers.DenoiserConfig;
import dev.lcm4j.nn.schedulers.DdimSchedulerConfig;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ConfigBinderTest {

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static TrainingConfig bindTrainer(Object... kv) {
        return ConfigBinder.bind(map(kv), TrainingConfig.class, "trainer");
    }

    @Test
    void emptyTreeGivesReferenceDefaults() {
        // the reference's TrainingConfig defaults (lcm/train/trainer.py)
        TrainingConfig d = bindTrainer();
        assertEquals("torch.float32", d.dtype());
        assertTrue(d.use_optimizer_in_fp32());
        assertTrue(d.use_fsdp());
        assertFalse(d.fsdp_fp32_reduce());
        assertEquals(0.004, d.lr());
        assertEquals("myle", d.lr_schedule());
        assertEquals(1e-7, d.start_lr());
        assertEquals(1e-5, d.final_lr());
        assertEquals(800, d.num_lr_warmup_steps());
        assertEquals(10_000, d.max_steps());
        assertEquals(1, d.gradient_accumulation());
        assertEquals(1000.0, d.max_grad_norm());
        assertEquals(0.1, d.weight_decay());
        assertEquals(List.of(0.9, 0.98), d.adam_betas());
        assertEquals(1e-6, d.adam_eps());
        assertEquals(5000, d.validate_every_n_steps());
        assertEquals(5000, d.checkpoint_every_n_steps());
        assertEquals(5000, d.save_model_every_n_steps());
        assertEquals(-1, d.keep_last_n_checkpoints());
        assertFalse(d.preserve_consolidated_models());
        assertEquals(1, d.publish_metrics_every_n_steps());
        assertEquals(2, d.seed());
        assertFalse(d.profile());
        assertEquals(List.of(0.1, 0.4, 0.5), d.lr_stage_ratios());
        assertEquals(1000, d.gc_every_n_steps());
        assertEquals(200, d.profiler_skip_first());
        assertEquals(3, d.profiler_active());
        assertEquals(32768.0, d.loss_scaler_init_scale());
        assertNull(d.loss_scaler_scale_window());
        assertFalse(d.use_autocast());
        assertEquals("model", d.fsdp_wrap_granularity());
        assertEquals("standard", d.fsdp_memory_policy());
        assertTrue(d.use_submitit());
        assertEquals(10, d.max_ooms());
        assertEquals(10, d.max_nans_or_infs());
        assertEquals("none", d.freezing_strategy());
        assertEquals(512, d.max_subword_length());
        assertNull(d.output_dir());
        assertNull(d.model_arch());
        assertNull(d.tb_dir());
        // the reference's criterion defaults (CriterionConfig, LCMCriterionConfig, StepsSamplerConfig)
        assertEquals(CriterionConfig.Reduction.SUM, d.criterion().reduction());
        assertTrue(d.criterion().compute_rmse());
        assertEquals(0.0, d.criterion().cf_guidance_probability());
        assertEquals(StepSamplingConfig.Sampling.UNIFORM, d.criterion().step_sampling().sampling());
        assertEquals(StepSamplingConfig.Weighting.NONE, d.criterion().step_sampling().weighting());
        assertEquals(0.8, d.criterion().step_sampling().beta_a());
        assertEquals(5.0, d.criterion().step_sampling().max_gamma());
        // the reference's default requirements
        RequirementsConfig r = d.requirements();
        assertEquals(List.of(1, 8, 8, 8, 256, 4320), List.of(r.nodes(), r.tasks_per_node(), r.gpus_per_node(),
                r.cpus_per_task(), r.mem_gb(), r.timeout_min()));
        assertEquals("volta32gb", r.constraint());
    }

    @Test
    void dataLoadingDefaultsMatchReference() {
        // the reference's DataLoadingConfig defaults (lcm/datasets/configs.py)
        DataLoadingConfig c = DataLoadingConfig.defaults();
        assertEquals(DataLoadingConfig.Chaining.SAMPLE, c.multiple_dataset_chaining());
        assertNull(c.batch_size());
        assertTrue(c.order_by_length());
        assertNull(c.max_tokens());
        assertNull(c.len_to_wrap_long_seq());
        assertFalse(c.packing());
        assertFalse(c.wrap_before_affixing());
        assertEquals(1, c.min_length_of_sequences());
        assertEquals(1, c.min_length_of_sequences_after_batching());
        assertEquals(1, c.min_length_of_target_sequences());
        assertEquals(1, c.min_length_of_target_sequences_after_batching());
        assertEquals(DataLoadingConfig.OutputFormat.TORCH, c.output_format());
        assertTrue(c.shuffle());
        assertTrue(c.drop_null());
        assertEquals(123, c.seed());
        assertEquals(100, c.nb_epochs());
        assertEquals(1, c.min_batch_size());
        assertEquals(3.0, c.nb_prefetch());
        assertEquals(1.5, c.num_parallel_calls());
        assertFalse(c.use_threads());
        assertFalse(c.ignore_checkpointed_pipeline());
        assertFalse(c.even_sharding());
        assertNull(c.max_iteration_steps());
        // ValidationDataLoadingConfig: concat, 1 epoch, min batch 1, no shuffle, batch_size/max_tokens auto
        DataLoadingConfig v = DataLoadingConfig.validationDefaults();
        assertEquals(DataLoadingConfig.Chaining.CONCAT, v.multiple_dataset_chaining());
        assertEquals(1, v.nb_epochs());
        assertEquals(1, v.min_batch_size());
        assertFalse(v.shuffle());
        assertNull(v.batch_size());
        assertNull(v.max_tokens());
    }

    @Test
    void numbersConvertBetweenIntegerLongAndDouble() {
        TrainingConfig c = bindTrainer("max_grad_norm", 25, "max_steps", 250_000L, "num_lr_warmup_steps", 3000.0,
                "lr", 1, "adam_betas", List.of(1, 0.95));
        assertEquals(25.0, c.max_grad_norm());
        assertEquals(250_000, c.max_steps());
        assertEquals(3000, c.num_lr_warmup_steps());
        assertEquals(1.0, c.lr());
        assertEquals(List.of(1.0, 0.95), c.adam_betas());
        assertEquals("123", bindTrainer("experiment_name", 123).experiment_name());
    }

    @Test
    void typeErrorsNameKeyExpectedTypeAndValue() {
        LcmException e = assertThrows(LcmException.class, () -> bindTrainer("max_steps", "abc"));
        assertEquals("trainer.max_steps: expected an integer, got 'abc' (String)", e.getMessage());
        e = assertThrows(LcmException.class, () -> bindTrainer("max_steps", 1.5));
        assertTrue(e.getMessage().startsWith("trainer.max_steps: expected an integer, got 1.5"), e.getMessage());
        e = assertThrows(LcmException.class, () -> bindTrainer("use_fsdp", "yes"));
        assertTrue(e.getMessage().contains("trainer.use_fsdp") && e.getMessage().contains("boolean"), e.getMessage());
        e = assertThrows(LcmException.class, () -> bindTrainer("seed", null));
        assertTrue(e.getMessage().startsWith("trainer.seed: expected an integer, got null"), e.getMessage());
        e = assertThrows(LcmException.class, () -> bindTrainer("data_loading_config", 5));
        assertTrue(e.getMessage().startsWith("trainer.data_loading_config: expected a mapping"), e.getMessage());
        e = assertThrows(LcmException.class,
                () -> bindTrainer("training_data", List.of(map("name", "a"), map("weight", "x"))));
        assertTrue(e.getMessage().startsWith("trainer.training_data[1].weight: expected a number"), e.getMessage());
    }

    @Test
    void enumsBindByLowercaseName() {
        TrainingConfig c = bindTrainer("criterion", map("reduction", "mean", "step_sampling",
                map("sampling", "beta", "weighting", "clamp_snr")),
                "data_loading_config", map("multiple_dataset_chaining", "round_robin", "output_format", "pyarrow"));
        assertEquals(CriterionConfig.Reduction.MEAN, c.criterion().reduction());
        assertEquals(StepSamplingConfig.Sampling.BETA, c.criterion().step_sampling().sampling());
        assertEquals(StepSamplingConfig.Weighting.CLAMP_SNR, c.criterion().step_sampling().weighting());
        assertEquals(DataLoadingConfig.Chaining.ROUND_ROBIN, c.data_loading_config().multiple_dataset_chaining());
        LcmException e = assertThrows(LcmException.class, () -> bindTrainer("criterion", map("reduction", "avg")));
        assertEquals("trainer.criterion.reduction: expected one of [sum, mean], got 'avg' (String)", e.getMessage());
    }

    @Test
    void unknownKeysAreRejectedWithTheirPath() {
        LcmException e = assertThrows(LcmException.class,
                () -> bindTrainer("data_loading_config", map("foo", 1)));
        assertTrue(e.getMessage().startsWith("unknown key trainer.data_loading_config.foo; known keys: "
                + "multiple_dataset_chaining, batch_size"), e.getMessage());
        e = assertThrows(LcmException.class, () -> bindTrainer("max_step", 1));
        assertTrue(e.getMessage().startsWith("unknown key trainer.max_step (did you mean max_steps?)"), e.getMessage());
        e = assertThrows(LcmException.class, () -> bindTrainer("training_data", List.of(map("nme", "x"))));
        assertTrue(e.getMessage().startsWith("unknown key trainer.training_data[0].nme"), e.getMessage());
    }

    @Test
    void minLengthAfterBatchingIsIgnoredWithWarning() {
        TrainingConfig c = bindTrainer("data_loading_config", map("max_tokens", 7168, "min_length_after_batching", 2));
        assertEquals(7168, c.data_loading_config().max_tokens());
        assertEquals(DataLoadingConfig.defaults().min_length_of_sequences_after_batching(),
                c.data_loading_config().min_length_of_sequences_after_batching());
    }

    @Test
    void nestedMappingsMergeOntoTheFieldDefault() {
        TrainingConfig c = bindTrainer("validation_data_loading_config", map("len_to_wrap_long_seq", 128),
                "criterion", map("name", "target_mse"));
        DataLoadingConfig v = c.validation_data_loading_config();
        assertEquals(128, v.len_to_wrap_long_seq());
        assertEquals(DataLoadingConfig.Chaining.CONCAT, v.multiple_dataset_chaining());
        assertFalse(v.shuffle());
        assertEquals(1, v.nb_epochs());
        assertEquals("target_mse", c.criterion().name());
        assertTrue(c.criterion().compute_rmse(), "unset criterion fields keep their defaults");
    }

    @Test
    void listsOfRecordsMapsAndObjects() {
        TrainingConfig c = bindTrainer("training_data", List.of(map("name", "a=train", "source_suffix_text", "End.",
                        "limit", map("nb_rows", 10), "source_sequences", List.of(map("text_column", "t")))),
                "model_config_or_name", map("model_dim", 1024), "model_arch_overrides", map("x", 1),
                "freeze_modules", List.of("frontend"));
        DatasetConfig d = c.training_data().get(0);
        assertEquals("a=train", d.name());
        assertEquals("End.", d.source_suffix_text());
        assertEquals(1.0, d.weight());
        assertEquals(10, d.limit().nb_rows());
        assertEquals("t", d.source_sequences().get(0).text_column());
        assertEquals(Map.of("model_dim", 1024), c.model_config_or_name());
        assertEquals(Map.of("x", 1), c.model_arch_overrides());
        assertEquals(List.of("frontend"), c.freeze_modules());
        assertEquals("card", bindTrainer("model_config_or_name", "card").model_config_or_name());
    }

    @Test
    void maxTokensZeroMeansUnset() {
        assertNull(bindTrainer("data_loading_config", map("max_tokens", 0)).data_loading_config().max_tokens());
    }

    @Test
    void missingMarkerBindsToNull() {
        assertNull(bindTrainer("output_dir", "???").output_dir());
    }

    @Test
    void toTreeRoundTrips() {
        TrainingConfig c = bindTrainer("lr", 0.5, "criterion", map("name", "target_mse", "reduction", "mean"),
                "training_data", List.of(map("name", "x")));
        Map<String, Object> tree = c.toTree();
        assertEquals("mean", ConfigTree.get(tree, "criterion.reduction"));
        assertEquals("sample", ConfigTree.get(tree, "data_loading_config.multiple_dataset_chaining"));
        assertEquals(c, ConfigBinder.bind(tree, TrainingConfig.class, "trainer"));
    }

    /** The reference's DenoiserConfig extends TransformerConfig: its keys stay flat in YAML though lcm4j nests a record. */
    @Test
    void inlinedComponentsKeepTheirKeysFlat() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("num_layers", 3);
        tree.put("use_swiglu", true);
        tree.put("timestep_embed_dim", 64);
        tree.put("pre_denoiser", Map.of("linear_bias", false));
        DenoiserConfig d = ConfigBinder.bind(tree, DenoiserConfig.class, "denoiser");
        assertEquals(3, d.transformer().num_layers());
        assertTrue(d.transformer().use_swiglu());
        assertEquals("none", d.transformer().pos_embedding_style(), "unset keys keep the denoiser's defaults");
        assertEquals(64, d.timestep_embed_dim());
        assertFalse(d.pre_denoiser().linear_bias());
        // the same flat key list as the reference's dataclass: the 19 transformer keys, then the denoiser's own
        List<String> keys = List.copyOf(ConfigBinder.toTree(d).keySet());
        assertEquals(List.of("num_layers", "num_attn_heads", "dropout_p", "final_dropout_p", "attention_dropout_p", "ffn_inner_dim",
                "use_swiglu", "ffn_inner_activation_name", "pos_embedding_style", "rope_theta", "layer_normalization_style",
                "norm_order_style", "final_norm_order_style", "enable_qk_layernorm", "mha_qkv_weight_normalization",
                "mha_output_weight_normalization", "mha_output_proj_bias", "scale_residual", "attention_output_init_fn",
                "pre_denoiser", "post_denoiser", "timestep_embed_dim"), keys);
        assertEquals(d, ConfigBinder.bind(ConfigBinder.toTree(d), DenoiserConfig.class, "denoiser"));
        LcmException e = assertThrows(LcmException.class, () -> ConfigBinder.bind(Map.of("num_layer", 2), DenoiserConfig.class, "denoiser"));
        assertTrue(e.getMessage().startsWith("unknown key denoiser.num_layer (did you mean num_layers?)"), e.getMessage());
    }

    /** Builders set fields by name over the defaults; build() checks as the constructor does. */
    @Test
    void buildersChangeOnlyTheNamedFields() {
        TransformerConfig t = TransformerConfig.builder().num_layers(32).use_swiglu(true).build();
        TransformerConfig d = TransformerConfig.defaults();
        assertEquals(32, t.num_layers());
        assertTrue(t.use_swiglu());
        assertEquals(d.num_attn_heads(), t.num_attn_heads());
        assertEquals(d, t.toBuilder().num_layers(d.num_layers()).use_swiglu(false).build());
        assertEquals(DataLoadingConfig.defaults().toBuilder().nb_epochs(1).shuffle(false)
                .multiple_dataset_chaining(DataLoadingConfig.Chaining.CONCAT).build(), DataLoadingConfig.validationDefaults());
        assertThrows(LcmException.class, () -> DdimSchedulerConfig.builder().beta_schedule("exp").build());
    }
}
