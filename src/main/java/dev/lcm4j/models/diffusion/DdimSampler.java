package dev.lcm4j.models.diffusion;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.nn.schedulers.DdimScheduler;
import dev.lcm4j.nn.schedulers.DdimSchedulerConfig;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DDIM reverse process shared by the diffusion families, as the reference's {@code predict_next_sentence} (no
 * guidance) and {@code predict_next_sentence_with_cf_guidance}: from a latent x_T ~ N(0, initial_noise_scale^2),
 * each scheduled step asks the family's {@link Denoiser} for its output and steps to the next timestep; the result is
 * the last predicted x0 (normalized space: the caller denormalizes).
 *
 * <p>Classifier-free guidance denoises every row twice, conditionally and unconditionally (what "unconditional"
 * means is the family's: two-tower attends to the zero vector alone, one-tower to the noisy concept alone), turns
 * both outputs into epsilon, combines them as {@code eps = phi * std(cond) / std(g) * g + (1 - phi) * g} with
 * {@code g = uncond + w (cond - uncond)} and torch's unbiased std over the concept dimension, and steps as an epsilon
 * model. At t = T - 1, where zero-terminal-SNR makes alpha_bar 0 and epsilon undefined, the conditional output steps
 * alone, as in the reference (docs/quirks.md #7, #8).
 */
public final class DdimSampler {
    private static final Logger LOG = LoggerFactory.getLogger(DdimSampler.class);

    /** What a family denoises: the model output (x0, epsilon or v, by the scheduler's prediction type) of latents [B, S, C] at step t. */
    public interface Denoiser {
        Tensor denoise(Tensor latents, int t, boolean conditional);
    }

    private final DiffusionOptions options;
    private final DdimScheduler scheduler;
    private final int[] schedule;
    private final int trainSteps;
    private final int conceptDim;
    private final UnaryOperator<Tensor> onDevice;
    private final Noise noise;

    /**
     * @param modelScheduler      the model's scheduler (replaced by one with dynamic thresholding when the options ask for it)
     * @param onDevice            moves a tensor to the model's device (latents are drawn on the CPU: the same numbers anywhere)
     * @param trainedWithGuidance the model's {@code trained_with_cf_guidance}
     * @param guidanceWarningDue  true when the warning about guidance on a model trained without it is still to be
     *                            given (once per model)
     */
    public DdimSampler(DdimScheduler modelScheduler, DiffusionOptions options, Noise noise, int conceptDim,
                       UnaryOperator<Tensor> onDevice, boolean trainedWithGuidance, BooleanSupplier guidanceWarningDue) {
        options.validate();
        this.noise = noise;
        this.onDevice = onDevice;
        this.options = options;
        this.conceptDim = conceptDim;
        DdimSchedulerConfig c = modelScheduler.config();
        if (options.thresholding()) {
            // as the reference's prep_for_denoising: the generator's thresholding options override the model's
            c = c.toBuilder().thresholding(true).dynamic_thresholding_ratio(options.dynamic_thresholding_ratio())
                    .sample_max_value(options.sample_max_value()).build();
            this.scheduler = new DdimScheduler(c);
        } else {
            this.scheduler = modelScheduler;
        }
        this.trainSteps = c.num_diffusion_train_steps();
        this.schedule = scheduler.timesteps(options.inference_timesteps(), options.reference_timestep_stride());
        boolean guidanceAsked = options.classifierFreeGuidance() || options.guidance_rescale() != 0.0;
        if (guidanceAsked && !trainedWithGuidance && guidanceWarningDue.getAsBoolean()) {
            LOG.warn("guidance_scale={} / guidance_rescale={} on a model trained without classifier-free guidance"
                    + " (trained_with_cf_guidance: false): its unconditional predictions were never trained, so guided"
                    + " outputs are unreliable; use --guidance_scale 1 for this model", options.guidance_scale(), options.guidance_rescale());
        }
    }

    public DiffusionOptions options() {
        return options;
    }

    /** The timesteps this sampler visits, in order. */
    public int[] schedule() {
        return schedule.clone();
    }

    /** x_T for [B, S] positions: N(0, 1) * initial_noise_scale, clipped to +-clip_noise (drawn from the sampler's noise). */
    public Tensor initialLatents(long b, long s) {
        // drawn on the CPU (the same numbers on any device), then moved to the model
        Tensor x = onDevice.apply(noise.randn(new long[] {b, s, conceptDim}, null)).mul(Tensors.scalar(options.initial_noise_scale()));
        return clip(x);
    }

    /** Runs the reverse process from {@code latents} [B, S, C]; returns the last predicted x0 [B, S, C] (normalized). */
    public Tensor run(Denoiser denoiser, Tensor latents) {
        boolean cfg = options.classifierFreeGuidance();
        DdimScheduler.Step out = null;
        for (int k = 0; k < schedule.length; k++) {
            int t = schedule[k];
            int prevT = options.reference_timestep_stride() ? scheduler.referencePrevious(t, options.inference_timesteps())
                    : DdimScheduler.previous(schedule, k);
            Tensor pred = denoiser.denoise(latents, t, true);                                // [B,S,C]
            if (!cfg || t == trainSteps - 1) {
                out = scheduler.step(pred, t, prevT, latents, options.ddim_eta(), stepNoise(latents), options.epsilon_scaling());
            } else {
                Tensor both = cat(new TensorVector(pred, denoiser.denoise(latents, t, false)), 0); // [2B,S,C]
                Tensor eps = guide(scheduler.epsilon(both, cat(new TensorVector(latents, latents), 0), t));
                out = scheduler.step(eps, t, prevT, latents, options.ddim_eta(), stepNoise(latents), options.epsilon_scaling(), "epsilon");
            }
            latents = clip(out.prevSample());
        }
        return out.predOriginalSample();
    }

    /** Classifier-free guidance with rescale on epsilon [2B, S, C] (conditional half first) -> [B, S, C]. */
    public Tensor guide(Tensor eps) {
        long b = eps.size(0) / 2;
        Tensor cond = eps.narrow(0, 0, b), uncond = eps.narrow(0, b, b);
        Tensor g = uncond.add(cond.sub(uncond).mul(Tensors.scalar(options.guidance_scale())));
        Tensor stdPos = cond.std(new long[] {-1}, true, true);
        Tensor stdCfg = g.std(new long[] {-1}, true, true);
        Tensor factor = stdPos.div(stdCfg).mul(Tensors.scalar(options.guidance_rescale())).add(Tensors.scalar(1 - options.guidance_rescale()));
        return factor.mul(g);
    }

    private Tensor stepNoise(Tensor latents) {
        return options.ddim_eta() > 0 ? noise.randnLike(latents) : null;
    }

    private Tensor clip(Tensor x) {
        return x.clamp(new ScalarOptional(Tensors.scalar(-options.clip_noise())), new ScalarOptional(Tensors.scalar(options.clip_noise())));
    }
}
