package dev.lcm4j.models.onetower;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.InterleavedMask;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.diffusion.GuidanceTraining;
import dev.lcm4j.models.diffusion.DiffusionLoss;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.schedulers.DdimScheduler;
import dev.lcm4j.nn.schedulers.StepSampler;
import dev.lcm4j.torch.Devices;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * The one-tower model's training objective (paper §2.3.2, §2.3.3): {@code one_tower_diffusion_next_sent} and, supervised,
 * {@code one_tower_diffusion_next_sent_finetuning}. Every sentence n of a document gets its own step t_n and noise;
 * one forward pass over the interleaved sequence predicts every sentence at once. The loss of a sentence is the SUM
 * over channels of the squared error, in normalized space, in float32; sentences are summed ("sum") or averaged
 * ("mean"), optionally weighted per step (the same terms as the two-tower criterion).
 *
 * <p>Unsupervised, every real sentence is a target (sentence 0 sees only itself). Supervised, the targets are the
 * answer sentences: the prompt's noisy slots are computed but feed no loss, and since noisy slots are never keys of
 * any other slot, the result equals a layout with clean slots only for the prompt (docs/one-tower.md).
 */
public final class OneTowerCriterion implements Criterion {
    public static final String PRETRAIN = "one_tower_diffusion_next_sent";
    public static final String FINETUNE = "one_tower_diffusion_next_sent_finetuning";

    private final boolean supervised;
    private final double cfGuidanceProb;
    private final StepSampler stepSampler;
    private final DiffusionLoss reconstruction;
    private final DdimScheduler scheduler;

    public OneTowerCriterion(CriterionConfig c, OneTowerDiffusionLcm model) {
        switch (c.name()) {
            case PRETRAIN -> supervised = false;
            case FINETUNE -> supervised = true;
            default -> throw new LcmException("criterion '" + c.name() + "' does not apply to one_tower_diffusion_lcm");
        }
        GuidanceTraining.check(c.cf_guidance_probability(), model.config().trained_with_cf_guidance());
        if (model.normalizer() == null) throw new LcmException("the one-tower criterion needs the model's normalizer");
        this.cfGuidanceProb = c.cf_guidance_probability();
        this.scheduler = model.scheduler();
        this.stepSampler = new StepSampler(c.step_sampling(), scheduler);
        this.reconstruction = new DiffusionLoss(c.compute_rmse(), c.reduction() == CriterionConfig.Reduction.MEAN,
                c.log_losses_per_timestep_bucket(), scheduler.config().num_diffusion_train_steps(), stepSampler);
    }

    @Override
    public boolean supervised() {
        return supervised;
    }

    @Override
    public Loss loss(Lcm model, EmbeddingsBatch batch) {
        return compute((OneTowerDiffusionLcm) model, batch, null, null);
    }

    /**
     * @param timesteps [B, N] steps of every sentence, or null to draw them
     * @param noise     [B, N, C] noise, or null to draw it (after the steps; the guidance slots are drawn last)
     */
    public Loss compute(OneTowerDiffusionLcm model, EmbeddingsBatch batch, Tensor timesteps, Tensor noise) {
        SonarNormalizer norm = model.normalizer();
        Tensor x0 = norm.normalize(batch.seqs());                                // [B,N,C]
        long b = x0.size(0), n = x0.size(1), c = x0.size(2);
        long[] src = null;
        if (supervised) {
            src = batch.sourceLengths();
            if (src == null) throw new LcmException("criterion " + FINETUNE + " needs data with a target_column");
        }
        Tensor mask = batch.targetMask(supervised, 0);                           // [B,N] loss targets
        if (supervised && mask.sum().item_long() == 0) throw new LcmException("every document of the batch has an empty target");
        if (timesteps == null) timesteps = Devices.to(stepSampler.sample(b, n), x0.device()); // [B,N], CPU draws
        if (noise == null) noise = randn_like(x0);                               // [B,N,C]
        long[] flatSteps = Tensors.toLongs(timesteps.reshape(-1));
        Tensor x0Flat = x0.reshape(b * n, c), noiseFlat = noise.reshape(b * n, c);
        Tensor target = switch (scheduler.config().prediction_type()) {
            case "sample" -> x0;
            case "epsilon" -> noise;
            default -> scheduler.velocity(x0Flat, noiseFlat, flatSteps).view(b, n, c);
        };
        Tensor noisy = scheduler.addNoise(x0Flat, noiseFlat, flatSteps).view(b, n, c);
        Tensor allowed = InterleavedMask.training(n, src, batch.lengths(), cfGuidanceProb, x0.device());
        Tensor out = model.forward(x0, noisy, timesteps, allowed);               // [B,N,C]

        return reconstruction.of(out, target, norm, mask, timesteps);
    }


}
