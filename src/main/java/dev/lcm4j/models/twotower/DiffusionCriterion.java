package dev.lcm4j.models.twotower;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.diffusion.GuidanceTraining;
import dev.lcm4j.models.diffusion.DiffusionLoss;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.schedulers.DdimScheduler;
import dev.lcm4j.nn.schedulers.StepSampler;
import dev.lcm4j.torch.Devices;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The two-tower model's training objective (the reference's {@code two_tower_diffusion_next_sent} and, supervised,
 * {@code two_tower_diffusion_next_sent_finetuning}). Every target position gets its own diffusion step t and noise
 * eps: x_t = sqrt(a_t) x0 + sqrt(1 - a_t) eps; the model, given the clean context, predicts x0 (or eps, or v, by the
 * scheduler's prediction type) and the loss of a position is the SUM over channels of the squared error, in normalized
 * space, computed in float32; positions are summed ("sum") or averaged ("mean"), optionally weighted per step.
 *
 * <p>Unsupervised, every real position is a target, position 0 included (it sees only the zero vector); supervised,
 * the targets are the target sentences, denoised conditioned on the source and the previous targets.
 */
public final class DiffusionCriterion implements Criterion {
    private final boolean supervised;
    private final double cfGuidanceProb;
    private final StepSampler stepSampler;
    private final DiffusionLoss reconstruction;
    private final DdimScheduler scheduler;

    public DiffusionCriterion(CriterionConfig c, TwoTowerDiffusionLcm model) {
        switch (c.name()) {
            case "two_tower_diffusion_next_sent" -> supervised = false;
            case "two_tower_diffusion_next_sent_finetuning" -> supervised = true;
            default -> throw new LcmException("criterion '" + c.name() + "' does not apply to two_tower_diffusion_lcm");
        }
        checkGuidance(c.cf_guidance_probability(), model.config().trained_with_cf_guidance());
        if (model.normalizer() == null) throw new LcmException("the diffusion criterion needs the model's normalizer");
        this.cfGuidanceProb = c.cf_guidance_probability();
        this.scheduler = model.scheduler();
        this.stepSampler = new StepSampler(c.step_sampling(), scheduler);
        this.reconstruction = new DiffusionLoss(c.compute_rmse(), c.reduction() == CriterionConfig.Reduction.MEAN,
                c.log_losses_per_timestep_bucket(), scheduler.config().num_diffusion_train_steps(), stepSampler);
    }

    /** Training with guidance (p > 0) and the model's {@code trained_with_cf_guidance} must agree, as the reference asserts. */
    static void checkGuidance(double cfGuidanceProbability, boolean trainedWithGuidance) {
        GuidanceTraining.check(cfGuidanceProbability, trainedWithGuidance);
    }

    @Override
    public boolean supervised() {
        return supervised;
    }

    @Override
    public Loss loss(Lcm model, EmbeddingsBatch batch) {
        return compute((TwoTowerDiffusionLcm) model, batch, null, null);
    }

    /**
     * @param timesteps [B, S] steps of the S target positions, or null to draw them
     * @param noise     [B, S, C] noise, or null to draw it (after the steps, as the reference)
     */
    public Loss compute(TwoTowerDiffusionLcm model, EmbeddingsBatch batch, Tensor timesteps, Tensor noise) {
        SonarNormalizer n = model.normalizer();
        Tensor ctx = n.normalize(batch.seqs());                                  // [B,T,C]
        long b = ctx.size(0), c = ctx.size(2);
        long[] lengths = batch.lengths();
        long[] src = null;
        Tensor x0;
        Tensor mask;                                                             // [B,S] real target positions
        if (supervised) {
            src = batch.sourceLengths();
            if (src == null) throw new LcmException("criterion two_tower_diffusion_next_sent_finetuning needs data with a target_column");
            long[] tgt = new long[(int) b];
            long s = 0;
            for (int r = 0; r < b; r++) { tgt[r] = lengths[r] - src[r]; s = Math.max(s, tgt[r]); }
            if (s == 0) throw new LcmException("every document of the batch has an empty target");
            x0 = zeros(new long[] {b, s, c}, Tensors.opts(ctx.scalar_type(), ctx.device()));
            for (int r = 0; r < b; r++) {
                if (tgt[r] > 0) x0.select(0, r).narrow(0, 0, tgt[r]).copy_(ctx.select(0, r).narrow(0, src[r], tgt[r]));
            }
            mask = lengthMask(tgt, s, ctx.device());
        } else {
            x0 = ctx;
            mask = batch.paddingMask();
        }
        long s = x0.size(1);
        if (timesteps == null) timesteps = Devices.to(stepSampler.sample(b, s), ctx.device()); // [B,S], CPU draws
        if (noise == null) noise = randn_like(x0);                               // [B,S,C]
        long[] flatSteps = Tensors.toLongs(timesteps.reshape(-1));
        Tensor x0Flat = x0.reshape(b * s, c), noiseFlat = noise.reshape(b * s, c);
        Tensor target = switch (scheduler.config().prediction_type()) {
            case "sample" -> x0;
            case "epsilon" -> noise;
            default -> scheduler.velocity(x0Flat, noiseFlat, flatSteps).view(b, s, c);
        };
        Tensor noisy = scheduler.addNoise(x0Flat, noiseFlat, flatSteps).view(b, s, c);
        Tensor out = model.forward(ctx, lengths, src, noisy, timesteps, cfGuidanceProb); // [B,S,C]

        return reconstruction.of(out, target, n, mask, timesteps);
    }


    private static Tensor lengthMask(long[] lengths, long s, org.bytedeco.pytorch.Device device) {
        Tensor pos = arange(Tensors.scalar(s), Tensors.opts(ScalarType.Long, device)).unsqueeze(0);
        return pos.lt(Devices.to(Tensors.longs(lengths, lengths.length), device).unsqueeze(1));
    }

}
