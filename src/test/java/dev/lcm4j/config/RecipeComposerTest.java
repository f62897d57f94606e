package dev.lcm4j.config;

import dev.lcm4j.LcmException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Composition of the shipped recipes; expected values are the reference's recipe files and TrainingConfig defaults. */
class RecipeComposerTest {
    static final Path RECIPES = Path.of("recipes");

    static Map<String, Object> compose(String... overrides) {
        return RecipeComposer.compose(RECIPES, Arrays.asList(overrides));
    }

    static Object at(Map<String, Object> tree, String path) {
        assertTrue(ConfigTree.contains(tree, path), "missing " + path);
        return ConfigTree.get(tree, path);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> dataset(Map<String, Object> tree, String list, int i) {
        return (Map<String, Object>) ((List<Object>) at(tree, "trainer." + list)).get(i);
    }

    @Test
    void pretrainMseMatchesReferenceTable() {
        Map<String, Object> t = compose("+pretrain=mse", "++trainer.output_dir=/runs/a");
        assertEquals("lcm.train.lcm.trainer.prepare_lcm_trainer", at(t, "trainer._trainer_"));
        assertEquals("base_lcm_1_6B", at(t, "trainer.model_arch"));
        assertEquals("next_sentence_mse", at(t, "trainer.criterion.name"));
        assertEquals("sum", at(t, "trainer.criterion.reduction"));
        assertEquals(false, at(t, "trainer.criterion.compute_rmse"));
        assertEquals("torch.float16", at(t, "trainer.dtype"));
        assertEquals(true, at(t, "trainer.use_optimizer_in_fp32"));
        assertEquals(true, at(t, "trainer.use_fsdp"));
        assertEquals(true, at(t, "trainer.fsdp_fp32_reduce"));
        assertEquals(0.0004, at(t, "trainer.lr"));
        assertEquals("cosine", at(t, "trainer.lr_schedule"));
        assertEquals(10_000, at(t, "trainer.num_lr_warmup_steps"));
        assertEquals(250_000, at(t, "trainer.max_steps"));
        assertEquals(1, at(t, "trainer.gradient_accumulation"));
        assertEquals(25, at(t, "trainer.max_grad_norm"));
        assertEquals(0.1, at(t, "trainer.weight_decay"));
        assertEquals(List.of(0.9, 0.95), at(t, "trainer.adam_betas"));
        assertEquals(1e-5, at(t, "trainer.adam_eps"));
        assertEquals(10_000, at(t, "trainer.validate_every_n_steps"));
        assertEquals(2_000, at(t, "trainer.checkpoint_every_n_steps"));
        assertEquals(2_000, at(t, "trainer.save_model_every_n_steps"));
        assertEquals(2, at(t, "trainer.keep_last_n_checkpoints"));
        assertEquals(true, at(t, "trainer.preserve_consolidated_models"));
        assertEquals(100, at(t, "trainer.publish_metrics_every_n_steps"));
        assertEquals(1, at(t, "trainer.seed"));
        assertEquals(false, at(t, "trainer.profile"));
        assertEquals(7168, at(t, "trainer.data_loading_config.max_tokens"));
        assertEquals(1, at(t, "trainer.data_loading_config.min_batch_size"));
        assertEquals(128, at(t, "trainer.data_loading_config.len_to_wrap_long_seq"));
        assertEquals(false, at(t, "trainer.data_loading_config.packing"));
        assertEquals(1, at(t, "trainer.data_loading_config.min_length_of_sequences"));
        assertEquals(2, at(t, "trainer.data_loading_config.min_length_after_batching"));
        assertEquals(1, at(t, "trainer.data_loading_config.num_parallel_calls"));
        assertEquals(5, at(t, "trainer.data_loading_config.nb_prefetch"));
        assertEquals(1, at(t, "trainer.data_loading_config.nb_epochs"));
        assertEquals(128, at(t, "trainer.validation_data_loading_config.len_to_wrap_long_seq"));
        assertEquals("pretraining_data=train", dataset(t, "training_data", 0).get("name"));
        assertEquals("End of text.", dataset(t, "training_data", 0).get("source_suffix_text"));
        assertEquals("pretraining_data=validation", dataset(t, "validation_data", 0).get("name"));
        assertEquals("End of text.", dataset(t, "validation_data", 0).get("source_suffix_text"));
        assertEquals(4, at(t, "trainer.requirements.nodes"));
        assertEquals(8, at(t, "trainer.requirements.tasks_per_node"));
        assertEquals(8, at(t, "trainer.requirements.gpus_per_node"));
        assertEquals(32, at(t, "trainer.requirements.cpus_per_task"));
        assertEquals(0, at(t, "trainer.requirements.mem_gb"));
        assertEquals(10000, at(t, "trainer.requirements.timeout_min"));
        // the reference's recipes/train/defaults.yaml + standalone launcher
        assertEquals(false, at(t, "dry_run"));
        assertEquals("/runs/a", at(t, "trainer.output_dir"));
        assertEquals("/runs/a/executor_logs", at(t, "launcher.log_folder"));
        assertEquals("/runs/a/config_logs", at(t, "launcher.config_dump_dir"));
        assertEquals("stopes.core.Launcher", at(t, "launcher._target_"));
        assertEquals("debug", at(t, "launcher.cluster"));
        assertNull(at(t, "launcher.partition"));
        assertEquals("file_cache", at(t, "launcher.cache"));
    }

    @Test
    void pretrainTwoTowerMatchesReferenceTable() {
        Map<String, Object> t = compose("+pretrain=two_tower", "++trainer.output_dir=/runs/b");
        assertEquals("lcm.train.two_tower_diffusion_lcm.trainer.prepare_two_tower_diffusion_lcm_trainer",
                at(t, "trainer._trainer_"));
        assertEquals("two_tower_diffusion_lcm_1_6B", at(t, "trainer.model_arch"));
        assertEquals("two_tower_diffusion_next_sent", at(t, "trainer.criterion.name"));
        assertEquals(0.15, at(t, "trainer.criterion.cf_guidance_probability"));
        assertEquals(false, at(t, "trainer.criterion.log_losses_per_timestep_bucket"));
        assertEquals("uniform", at(t, "trainer.criterion.step_sampling.sampling"));
        assertEquals("none", at(t, "trainer.criterion.step_sampling.weighting"));
        assertEquals(0.0004, at(t, "trainer.lr"));
        assertEquals(List.of(0.9, 0.95), at(t, "trainer.adam_betas"));
        assertEquals(1e-5, at(t, "trainer.adam_eps"));
        assertEquals(7168, at(t, "trainer.data_loading_config.max_tokens"));
        assertEquals(4, at(t, "trainer.requirements.nodes"));
        assertEquals("pretraining_data=train", dataset(t, "training_data", 0).get("name"));
    }

    @Test
    void finetuneMseMatchesReferenceTable() {
        Map<String, Object> t = compose("+finetune=mse", "++trainer.output_dir=/runs/c");
        assertEquals("lcm.train.lcm.trainer.prepare_lcm_trainer", at(t, "trainer._trainer_"));
        assertEquals("dummy_mse_pretrained_model", at(t, "trainer.model_config_or_name"));
        assertEquals("target_mse", at(t, "trainer.criterion.name"));
        assertEquals(0.00003, at(t, "trainer.lr"));
        assertEquals(1e-6, at(t, "trainer.start_lr"));
        assertEquals(1e-6, at(t, "trainer.final_lr"));
        assertEquals(3_000, at(t, "trainer.num_lr_warmup_steps"));
        assertEquals(20_000, at(t, "trainer.max_steps"));
        assertEquals(0.01, at(t, "trainer.weight_decay"));
        assertFalse(ConfigTree.contains(t, "trainer.adam_betas"), "finetune recipes keep the default betas");
        assertEquals(1_000, at(t, "trainer.validate_every_n_steps"));
        assertEquals(1_000, at(t, "trainer.checkpoint_every_n_steps"));
        assertEquals(1_000, at(t, "trainer.save_model_every_n_steps"));
        assertEquals(7168, at(t, "trainer.data_loading_config.max_tokens"));
        assertEquals(5, at(t, "trainer.data_loading_config.nb_epochs"));
        assertFalse(ConfigTree.contains(t, "trainer.validation_data_loading_config"));
        assertEquals("finetuning_data=train", dataset(t, "training_data", 0).get("name"));
        assertEquals("[MODEL]:", dataset(t, "training_data", 0).get("source_suffix_text"));
        assertEquals("End of text.", dataset(t, "training_data", 0).get("target_suffix_text"));
        assertEquals("finetuning_data=validation", dataset(t, "validation_data", 0).get("name"));
        assertEquals("[MODEL]:", dataset(t, "validation_data", 0).get("source_suffix_text"));
        assertEquals(4, at(t, "trainer.requirements.nodes"));
        assertEquals(32, at(t, "trainer.requirements.cpus_per_task"));
        assertEquals(0, at(t, "trainer.requirements.mem_gb"));

        TrainingConfig bound = TrainRunConfig.fromTree(t).trainer();
        assertEquals(List.of(0.9, 0.98), bound.adam_betas());
        assertEquals(1e-6, bound.adam_eps());
    }

    @Test
    void finetuneTwoTowerMatchesReferenceTable() {
        Map<String, Object> t = compose("+finetune=two_tower", "++trainer.output_dir=/runs/d");
        assertEquals("lcm.train.two_tower_diffusion_lcm.trainer.prepare_two_tower_diffusion_lcm_trainer",
                at(t, "trainer._trainer_"));
        assertEquals("dummy_2t_pretrained_model", at(t, "trainer.model_config_or_name"));
        assertEquals("two_tower_diffusion_next_sent_finetuning", at(t, "trainer.criterion.name"));
        assertEquals(0.15, at(t, "trainer.criterion.cf_guidance_probability"));
        assertEquals(0.0003, at(t, "trainer.lr"));
        assertEquals(1, at(t, "trainer.requirements.nodes"));
        assertEquals(5, at(t, "trainer.data_loading_config.nb_epochs"));
        assertEquals("End of text.", dataset(t, "training_data", 0).get("target_suffix_text"));
    }

    @Test
    void requirementsYamlIsPlacedUnderTrainer() {
        Map<String, Object> t = compose();
        assertEquals(1, at(t, "trainer.requirements.nodes"));
        assertEquals(8, at(t, "trainer.requirements.tasks_per_node"));
        assertEquals(8, at(t, "trainer.requirements.gpus_per_node"));
        assertEquals(8, at(t, "trainer.requirements.cpus_per_task"));
        assertEquals(256, at(t, "trainer.requirements.mem_gb"));
        assertEquals(4320, at(t, "trainer.requirements.timeout_min"));
        assertNull(at(t, "trainer.requirements.constraint"));
        assertEquals(10, at(t, "trainer.requirements.max_num_timeout"));
        assertEquals("???", at(t, "trainer.output_dir"));
        assertEquals("${trainer.output_dir}/executor_logs", at(t, "launcher.log_folder"), "left unresolved while ???");
    }

    @Test
    void forceOverrideParsesDotlessExponentAsDouble() {
        Map<String, Object> t = compose("+pretrain=mse", "++trainer.lr=1e-3", "++trainer.adam_eps=3e-05");
        assertEquals(Double.valueOf(0.001), at(t, "trainer.lr"));
        assertEquals(Double.valueOf(3e-5), at(t, "trainer.adam_eps"));
    }

    @Test
    void setOverrideChangesExistingKey() {
        assertEquals(0.001, at(compose("+pretrain=mse", "trainer.lr=0.001"), "trainer.lr"));
        assertEquals(4, at(compose("+pretrain=mse", "trainer.data_loading_config.nb_epochs=4"),
                "trainer.data_loading_config.nb_epochs"));
    }

    @Test
    void setOverrideOnUnknownKeyIsRejected() {
        LcmException e = assertThrows(LcmException.class, () -> compose("+pretrain=mse", "trainer.nope=1"));
        assertTrue(e.getMessage().contains("trainer.nope"), e.getMessage());
        assertTrue(e.getMessage().contains("++trainer.nope"), e.getMessage());
        LcmException typo = assertThrows(LcmException.class, () -> compose("+pretrain=mse", "trainer.lrr=1"));
        assertTrue(typo.getMessage().contains("closest known key: trainer.lr"), typo.getMessage());
    }

    @Test
    void unknownGroupOptionListsAvailableOnes() {
        LcmException e = assertThrows(LcmException.class, () -> compose("+pretrain=nope"));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        assertTrue(e.getMessage().contains("mse, one_tower, quant_lcm_c, quant_lcm_d, two_tower"), e.getMessage());
    }

    @Test
    void groupNotInDefaultsNeedsPlus() {
        LcmException e = assertThrows(LcmException.class, () -> compose("pretrain=mse"));
        assertTrue(e.getMessage().contains("+pretrain=mse"), e.getMessage());
        assertThrows(LcmException.class, () -> compose("+pretrain=mse", "+pretrain=two_tower"));
    }

    @Test
    void submititAndSlurmLaunchersSelectTheSlurmCluster() {
        assertEquals("slurm", at(compose("launcher=submitit"), "launcher.cluster"));
        assertEquals("slurm", at(compose("launcher=slurm"), "launcher.cluster"));
        assertEquals("debug", at(compose("launcher=standalone"), "launcher.cluster"));
        // the launcher=... file's keys replace the defaults' node; defaults.yaml's own launcher: section still applies
        assertEquals("${trainer.output_dir}/executor_logs", String.valueOf(at(compose("launcher=submitit"), "launcher.log_folder")));
        LcmException e = assertThrows(LcmException.class, () -> compose("launcher=nope"));
        assertTrue(e.getMessage().contains("slurm, standalone, submitit"), e.getMessage());
    }

    @Test
    @SuppressWarnings("unchecked")
    void listOfMappingsOverride() {
        Map<String, Object> t = compose("+pretrain=mse", "++trainer.training_data=[{name: x=train}]");
        List<Object> data = (List<Object>) at(t, "trainer.training_data");
        assertEquals(1, data.size());
        assertEquals(Map.of("name", "x=train"), data.get(0));
    }

    @Test
    void addDeleteAndScalarParsing() {
        Map<String, Object> t = compose("+pretrain=mse", "+trainer.use_submitit=false", "~trainer.validation_data",
                "++trainer.experiment_name='123'", "++trainer.tb_dir=null", "++trainer.use_autocast=true",
                "++trainer.wandb_run_name=");
        assertEquals(false, at(t, "trainer.use_submitit"));
        assertFalse(ConfigTree.contains(t, "trainer.validation_data"));
        assertEquals("123", at(t, "trainer.experiment_name"));
        assertNull(at(t, "trainer.tb_dir"));
        assertEquals(true, at(t, "trainer.use_autocast"));
        assertEquals("", at(t, "trainer.wandb_run_name"));
        LcmException e = assertThrows(LcmException.class, () -> compose("+pretrain=mse", "+trainer.lr=1"));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertThrows(LcmException.class, () -> compose("~trainer.nothing_here"));
    }

    @Test
    void overridesApplyInOrder() {
        assertEquals(0.5, at(compose("+pretrain=mse", "++trainer.lr=0.1", "trainer.lr=0.5"), "trainer.lr"));
    }

    @Test
    void malformedOverridesAreRejected() {
        for (String bad : List.of("=1", "trainer.lr", "tr ainer=1", "+", "trainer..lr=1")) {
            LcmException e = assertThrows(LcmException.class, () -> compose(bad), bad);
            assertTrue(e.getMessage().contains("malformed override"), e.getMessage());
        }
    }

    @Test
    void interpolationKeepsTypeForWholeValueReferences() {
        Map<String, Object> t = compose("+pretrain=mse", "++trainer.output_dir=/o", "++trainer.foo=${trainer.seed}",
                "++trainer.bar=seed-${trainer.seed}", "++trainer.baz=${trainer.adam_betas}");
        assertEquals(1, at(t, "trainer.foo"));
        assertEquals("seed-1", at(t, "trainer.bar"));
        assertEquals(List.of(0.9, 0.95), at(t, "trainer.baz"));
        LcmException e = assertThrows(LcmException.class, () -> compose("++trainer.x=${trainer.nothing}"));
        assertTrue(e.getMessage().contains("trainer.nothing"), e.getMessage());
    }

    @Test
    void malformedYamlNamesFileAndLine(@TempDir Path tmp) throws Exception {
        Path root = copyRecipes(tmp);
        Files.writeString(root.resolve("train/pretrain/broken.yaml"), "# @package trainer\nlr: 0.1\nfoo: [1, 2\n");
        LcmException e = assertThrows(LcmException.class,
                () -> RecipeComposer.compose(root, List.of("+pretrain=broken")));
        assertTrue(e.getMessage().contains("broken.yaml"), e.getMessage());
        assertTrue(e.getMessage().matches("(?s).*line [34].*"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    private static Path copyRecipes(Path tmp) throws Exception {
        Path root = tmp.resolve("recipes");
        List<Path> files;
        try (var s = Files.walk(RECIPES)) {
            files = new ArrayList<>(s.filter(Files::isRegularFile).toList());
        }
        for (Path f : files) {
            Path dst = root.resolve(RECIPES.relativize(f).toString());
            Files.createDirectories(dst.getParent());
            Files.copy(f, dst);
        }
        return root;
    }
}
