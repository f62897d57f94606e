package dev.lcm4j.config;

import dev.lcm4j.LcmException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ValidationTest {

    static TrainRunConfig run(String... overrides) {
        List<String> all = new ArrayList<>(List.of(overrides));
        return TrainRunConfig.fromTree(RecipeComposerTest.compose(all.toArray(String[]::new)));
    }

    static String error(String... overrides) {
        return assertThrows(LcmException.class, () -> run(overrides)).getMessage();
    }

    @Test
    void allFourRecipesBindAndValidate() {
        for (String recipe : List.of("+pretrain=mse", "+pretrain=two_tower", "+finetune=mse", "+finetune=two_tower",
                "+pretrain=one_tower", "+finetune=one_tower")) {
            TrainRunConfig c = run(recipe, "++trainer.output_dir=/runs/x");
            assertEquals("/runs/x", c.trainer().output_dir(), recipe);
            assertEquals(7168, c.trainer().data_loading_config().max_tokens(), recipe);
            assertEquals("/runs/x/config_logs", c.launcher().config_dump_dir(), recipe);
        }
        TrainingConfig one = run("+pretrain=one_tower", "++trainer.output_dir=/o").trainer();
        assertEquals("one_tower_diffusion_next_sent", one.criterion().name());
        assertEquals(0.15, one.criterion().cf_guidance_probability());
        assertEquals("one_tower_diffusion_next_sent_finetuning", run("+finetune=one_tower", "++trainer.output_dir=/o").trainer().criterion().name());
        TrainingConfig p = run("+pretrain=two_tower", "++trainer.output_dir=/o").trainer();
        assertEquals(0.15, p.criterion().cf_guidance_probability());
        assertEquals("two_tower_diffusion_next_sent", p.criterion().name());
        assertFalse(p.criterion().compute_rmse());
        assertEquals(5.0, p.data_loading_config().nb_prefetch());
        assertEquals(1.0, p.data_loading_config().num_parallel_calls());
        assertEquals(128, p.validation_data_loading_config().len_to_wrap_long_seq());
        assertFalse(p.validation_data_loading_config().shuffle());
    }

    @Test
    void outputDirIsRequired() {
        assertEquals("trainer.output_dir is required: add ++trainer.output_dir=DIR", error("+pretrain=mse"));
    }

    @Test
    void exactlyOneOfBatchSizeAndMaxTokens() {
        String both = error("+pretrain=mse", "++trainer.output_dir=/o", "++trainer.data_loading_config.batch_size=8");
        assertTrue(both.startsWith("trainer.data_loading_config: exactly one of batch_size or max_tokens"), both);
        String none = error("+pretrain=mse", "++trainer.output_dir=/o", "trainer.data_loading_config.max_tokens=0");
        assertTrue(none.startsWith("trainer.data_loading_config: exactly one of batch_size or max_tokens"), none);
        TrainRunConfig ok = run("+pretrain=mse", "++trainer.output_dir=/o", "~trainer.data_loading_config.max_tokens",
                "++trainer.data_loading_config.batch_size=8");
        assertEquals(8, ok.trainer().data_loading_config().batch_size());
    }

    @Test
    void saveModelPeriodMustBeMultipleOfCheckpointPeriod() {
        String e = error("+pretrain=mse", "++trainer.output_dir=/o", "trainer.save_model_every_n_steps=3000");
        assertEquals("trainer.save_model_every_n_steps (3000) must be a multiple of "
                + "trainer.checkpoint_every_n_steps (2000)", e);
        run("+pretrain=mse", "++trainer.output_dir=/o", "trainer.save_model_every_n_steps=4000");
    }

    @Test
    void lrScheduleAndDtypeMustBeKnown() {
        String e = error("+pretrain=mse", "++trainer.output_dir=/o", "trainer.lr_schedule=linear");
        assertEquals("trainer.lr_schedule: unknown value 'linear'; known: noop, myle, cosine, wsd, polynomial", e);
        for (String s : TrainingConfig.LR_SCHEDULES) {
            run("+pretrain=mse", "++trainer.output_dir=/o", "trainer.lr_schedule=" + s);
        }
        e = error("+pretrain=mse", "++trainer.output_dir=/o", "trainer.dtype=float16");
        assertEquals("trainer.dtype: unknown value 'float16'; known: torch.float32, torch.bfloat16, torch.float16", e);
        assertEquals("torch.bfloat16",
                run("+pretrain=mse", "++trainer.output_dir=/o", "trainer.dtype=torch.bfloat16").trainer().dtype());
    }

    /** W&B, the profiler, Python's gc and OOM retries have no lcm4j counterpart: their defaults pass, other values are refused by name. */
    @Test
    void referenceKeysWithoutCounterpartAreRefusedByName() {
        assertTrue(error("+pretrain=mse", "++trainer.output_dir=/o", "++trainer.wandb_project=lcm")
                .startsWith("trainer.wandb_project=lcm is not supported: lcm4j does not log to Weights & Biases; training metrics are in"));
        assertTrue(error("+pretrain=mse", "++trainer.output_dir=/o", "++trainer.wandb_entity=me").startsWith("trainer.wandb_entity=me is not supported"));
        assertTrue(error("+pretrain=mse", "++trainer.output_dir=/o", "trainer.profile=true").startsWith("trainer.profile=true is not supported"));
        assertTrue(error("+pretrain=mse", "++trainer.output_dir=/o", "++trainer.profiler_active=5")
                .startsWith("trainer.profiler_active=5 is not supported"));
        assertTrue(error("+pretrain=mse", "++trainer.output_dir=/o", "++trainer.gc_every_n_steps=10")
                .startsWith("trainer.gc_every_n_steps=10 is not supported"));
        assertTrue(error("+pretrain=mse", "++trainer.output_dir=/o", "++trainer.max_ooms=3").startsWith("trainer.max_ooms=3 is not supported"));
        assertTrue(error("+pretrain=mse", "++trainer.output_dir=/o", "++trainer.raise_oom=true").startsWith("trainer.raise_oom=true is not supported"));
        // the defaults, as the reference's recipes write them, pass
        run("+pretrain=mse", "++trainer.output_dir=/o", "trainer.profile=false", "++trainer.gc_every_n_steps=1000", "++trainer.max_ooms=10",
                "++trainer.wandb_project=null");
    }

    @Test
    void fsdpOptionsLcm4jDoesNotImplementAreRefusedByName() {
        assertTrue(error("+pretrain=mse", "++trainer.output_dir=/o", "++trainer.fsdp_wrap_granularity=layer")
                .startsWith("trainer.fsdp_wrap_granularity=layer is not supported"));
        assertTrue(error("+pretrain=mse", "++trainer.output_dir=/o", "++trainer.fsdp_memory_policy=low")
                .startsWith("trainer.fsdp_memory_policy=low is not supported"));
    }

    @Test
    void criterionAndDatasetsAreChecked() {
        // criterion names belong to the model families: the run (train layer) checks them before anything is written
        TrainRunConfig l1 = run("+pretrain=mse", "++trainer.output_dir=/o", "trainer.criterion.name=l1");
        LcmException unknown = assertThrows(LcmException.class, () -> new dev.lcm4j.train.TrainingRun(l1));
        assertTrue(unknown.getMessage().startsWith("trainer.criterion.name: unknown criterion 'l1'; known: next_sentence_mse, target_mse,"),
                unknown.getMessage());
        assertTrue(error("+pretrain=mse", "++trainer.output_dir=/o", "trainer.training_data=[]")
                .startsWith("trainer.training_data is empty"));
        assertTrue(error("+pretrain=mse", "++trainer.output_dir=/o", "trainer.training_data=[{weight: 2}]")
                .startsWith("trainer.training_data[0].name is required"));
        assertTrue(error("++trainer.output_dir=/o").startsWith("trainer: set model_arch"));
    }
}
