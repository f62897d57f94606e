package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.manual_seed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.config.TrainingConfig;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.models.baselcm.BaseLcmConfig;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.models.onetower.OneTowerDiffusionLcmConfig;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcmConfig;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.nn.denoisers.DenoiserConfig;
import dev.lcm4j.nn.schedulers.DdimSchedulerConfig;
import dev.lcm4j.torch.ActivationCheckpoint;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code trainer.activation_checkpointing} on both families, with dropout in every layer, attention and the final
 * norm: the gradient of every parameter equals the one of the run without it, under bf16 autocast too, and training
 * steps with gradient accumulation end with the same parameters.
 */
class ActivationCheckpointingTest {
    static final int DIM = 16;

    @BeforeAll
    static void init() {
        TorchRuntime.init();
    }

    static TransformerConfig.Builder layers(int n) {
        return TransformerConfig.builder().num_layers(n).num_attn_heads(2).ffn_inner_dim(64)
                .dropout_p(0.1).attention_dropout_p(0.1).final_dropout_p(0.1);
    }

    static Lcm mse() {
        manual_seed(5);
        BaseLcmConfig c = BaseLcmConfig.builder().sonar_embed_dim(DIM).model_dim(32).max_seq_len(64).lcm(layers(3).build()).build();
        return ModelFamilies.of(c).buildOf(c, ParamFactory.cpu(), null);
    }

    static Lcm twoTower() {
        manual_seed(5);
        TwoTowerDiffusionLcmConfig c = TwoTowerDiffusionLcmConfig.builder().sonar_embed_dim(DIM).sonar_normalizer_name("test")
                .max_seq_len(64).model_dim(32).context_encoder(layers(2).pos_embedding_style("learned").build())
                .noise_scheduler(DdimSchedulerConfig.builder().num_diffusion_train_steps(100).build())
                .denoiser(DenoiserConfig.of(layers(3).pos_embedding_style("none").build(), 32)).trained_with_cf_guidance(true).build();
        SonarNormalizer n = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(DIM));
        Lcm m = ModelFamilies.of(c).buildOf(c, ParamFactory.cpu(), n);
        // adaLN-Zero starts every modulator at 0, which would hide the denoiser layers' gradients (gates 0): perturb
        try (PointerScope s = new PointerScope(); org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            m.namedParameters().forEach((k, p) -> {
                if (k.contains("modulator")) p.copy_(org.bytedeco.pytorch.global.torch.randn_like(p).mul(Tensors.scalar(0.05)));
            });
        }
        return m;
    }

    /** One-Tower: its one stack runs under the interleaved mask (forwardMasked), which checkpoints too. */
    static Lcm oneTower() {
        manual_seed(5);
        OneTowerDiffusionLcmConfig c = OneTowerDiffusionLcmConfig.builder().sonar_embed_dim(DIM).sonar_normalizer_name("test")
                .max_seq_len(64).model_dim(32).timestep_embed_dim(8).lcm(layers(3).pos_embedding_style("learned").build())
                .noise_scheduler(DdimSchedulerConfig.builder().num_diffusion_train_steps(100).build()).trained_with_cf_guidance(true).build();
        SonarNormalizer n = new SonarNormalizer(ParamFactory.cpu(), SonarNormalizerConfig.defaults().withDim(DIM));
        return ModelFamilies.of(c).buildOf(c, ParamFactory.cpu(), n);
    }

    static CriterionConfig criterion(Lcm m) {
        boolean mse = m.family().equals("base_lcm");
        String name = switch (m.family()) {
            case "base_lcm" -> "next_sentence_mse";
            case "one_tower_diffusion_lcm" -> "one_tower_diffusion_next_sent";
            default -> "two_tower_diffusion_next_sent";
        };
        return CriterionConfig.builder().name(name).compute_rmse(false).cf_guidance_probability(mse ? 0.0 : 0.15).build();
    }

    static TrainStep trainStep(Lcm model, int accumulation, boolean bf16) {
        CriterionConfig cc = criterion(model);
        Criterion criterion = ModelFamilies.of(model).criterionOf(cc, model);
        TrainingConfig cfg = TrainingConfig.builder().output_dir("unused").criterion(cc).seed(3).lr(3e-3).lr_schedule("noop")
                .max_grad_norm(0.5).gradient_accumulation(accumulation).build();
        Map<String, Tensor> trainable = model.namedParameters();
        ParameterUpdater updater = new ReplicatedUpdater(new AdamW(trainable, 0.9, 0.98, 1e-6, 0.1),
                new ArrayList<>(trainable.values()), DistributedGroup.single());
        LrSchedule schedule = LrSchedule.create("noop", 3e-3, 0, 0, 0, 10, List.of(0.1, 0.4, 0.5));
        Precision precision = bf16 ? new Precision(org.bytedeco.pytorch.global.torch.ScalarType.BFloat16,
                org.bytedeco.pytorch.global.torch.DeviceType.CPU, false) : Precision.FLOAT32;
        return new TrainStep(cfg, model, criterion, updater, schedule, DistributedGroup.single(), precision,
                DynamicLossScaler.disabled());
    }

    /** Every parameter's gradient of the loss of one batch (seeded draws), with or without checkpointing. */
    static Map<String, float[]> gradients(Lcm model, boolean checkpoint, boolean bf16, long seed) {
        int stacks = model.checkpointActivations(checkpoint);
        assertEquals(checkpoint ? (model.family().equals("two_tower_diffusion_lcm") ? 2 : 1) : 0, stacks);
        model.train(true);
        TrainStep step = trainStep(model, 1, bf16);
        Map<String, float[]> out = new LinkedHashMap<>();
        try (PointerScope s = new PointerScope()) {
            for (Tensor p : model.parameterList()) if (p.grad().defined()) p.mutable_grad().zero_();
            manual_seed(seed);
            Criterion.Loss loss = step.forward(TrainStep.toBatch(DataParallelHarness.microBatch(0, 0), false));
            loss.loss().backward();
            model.namedParameters().forEach((k, p) -> out.put(k, p.grad().defined() ? Tensors.toFloats(p.grad()) : null));
        }
        assertEquals(0, ActivationCheckpoint.pendingHooks(), "every hook ran");
        return out;
    }

    /** Every parameter's gradient is the same (1e-6) with and without checkpointing. */
    static void assertSameGradients(Lcm model, boolean bf16) {
        Map<String, float[]> plain = gradients(model, false, bf16, 17);
        Map<String, float[]> checkpointed = gradients(model, true, bf16, 17);
        double largest = 0;
        for (Map.Entry<String, float[]> e : plain.entrySet()) {
            float[] a = e.getValue(), b = checkpointed.get(e.getKey());
            assertEquals(a == null, b == null, e.getKey() + " has a gradient in one run only");
            if (a == null) continue;
            double max = 0, scale = 0;
            for (int i = 0; i < a.length; i++) {
                max = Math.max(max, Math.abs(a[i] - b[i]));
                scale = Math.max(scale, Math.abs(a[i]));
            }
            largest = Math.max(largest, scale);
            assertTrue(max <= 1e-6, e.getKey() + ": gradients differ by " + max + " (largest " + scale + ")");
        }
        assertTrue(largest > 1e-2, "the gradients are not trivially zero: " + largest);
        // the draws matter: other dropout masks (and diffusion steps, noise) give other gradients, so the recomputation
        // drew the masks of the first forward
        Map<String, float[]> otherDraws = gradients(model, false, bf16, 18);
        String layer = model.family().equals("two_tower_diffusion_lcm") ? "denoiser.layers.0.ffn.inner_proj.weight" : "lcm.layers.0.ffn.inner_proj.weight";
        double diff = 0;
        for (int i = 0; i < plain.get(layer).length; i++) diff = Math.max(diff, Math.abs(plain.get(layer)[i] - otherDraws.get(layer)[i]));
        assertTrue(diff > 1e-4, layer + ": other draws change the gradient by " + diff);
    }

    @Test
    void mseGradientsEqualTheUncheckedRun() {
        assertSameGradients(mse(), false);
    }

    @Test
    void twoTowerGradientsEqualTheUncheckedRun() {
        Lcm m = twoTower();
        assertEquals(2, m.checkpointActivations(true), "context encoder and denoiser");
        assertSameGradients(m, false);
    }

    @Test
    void oneTowerGradientsEqualTheUncheckedRun() {
        assertSameGradients(oneTower(), false);
    }

    @Test
    void gradientsEqualUnderBf16Autocast() {
        // a stack of layers that each read the previous one's output only: the same arithmetic in the same order
        assertSameGradients(mse(), true);
    }

    /**
     * The denoiser's layers all read the context and the timestep embeddings, and their per-layer gradients are summed
     * in another order (fp32, last bits). In bf16 that can flip roundings in the context encoder's backward: there the
     * check is that checkpointing moves each gradient less than computing in bf16 instead of fp32 does.
     */
    @Test
    void twoTowerBf16GradientsMoveLessThanBf16Itself() {
        Lcm m = twoTower();
        Map<String, float[]> fp32 = gradients(m, false, false, 17);
        Map<String, float[]> bf16 = gradients(m, false, true, 17);
        Map<String, float[]> checkpointed = gradients(m, true, true, 17);
        double largest = 0;
        for (float[] g : fp32.values()) if (g != null) for (float v : g) largest = Math.max(largest, Math.abs(v));
        int compared = 0;
        for (String k : fp32.keySet()) {
            float[] x = fp32.get(k), y = bf16.get(k), z = checkpointed.get(k);
            if (x == null) continue;
            double bf16Error = 0, checkpointDiff = 0, scale = 0;
            for (int i = 0; i < x.length; i++) {
                bf16Error = Math.max(bf16Error, Math.abs(x[i] - y[i]));
                checkpointDiff = Math.max(checkpointDiff, Math.abs(z[i] - y[i]));
                scale = Math.max(scale, Math.abs(x[i]));
            }
            if (scale < 1e-3 * largest) continue; // a gradient that is 0 in exact arithmetic (softmax-invariant biases)
            assertTrue(checkpointDiff <= bf16Error, k + ": checkpointing moves the bf16 gradient by " + checkpointDiff
                    + ", bf16 itself by " + bf16Error);
            compared++;
        }
        assertTrue(compared > 50, "compared " + compared + " tensors");
    }

    /** Parameters after 3 steps of 2 accumulated micro-batches each, with or without checkpointing. */
    static Map<String, float[]> trained(Lcm model, boolean checkpoint) {
        model.checkpointActivations(checkpoint);
        model.train(true);
        TrainStep step = trainStep(model, 2, false);
        DataParallelHarness.FixedBatches data = new DataParallelHarness.FixedBatches(
                new DataParallelHarness.Case("ckpt", model.family(), false, 2, false), 0, 1);
        for (long s = 0; s < 3; s++) {
            data.step = s;
            data.calls = 0;
            if (step.run(s, data) == null) throw new IllegalStateException("step " + s + " was skipped");
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> out.put(k, Tensors.toFloats(p)));
        return out;
    }

    @Tag("slow")
    @Test
    void trainingStepsEndWithTheSameParameters() {
        for (boolean mse : new boolean[] {true, false}) {
            Map<String, float[]> plain = trained(mse ? mse() : twoTower(), false);
            Map<String, float[]> checkpointed = trained(mse ? mse() : twoTower(), true);
            for (Map.Entry<String, float[]> e : plain.entrySet()) {
                float[] a = e.getValue(), b = checkpointed.get(e.getKey());
                double max = 0;
                for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
                assertTrue(max <= 1e-6, e.getKey() + ": parameters differ by " + max);
            }
        }
    }
}
