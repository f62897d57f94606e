package dev.lcm4j.models.twotower;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.models.diffusion.DiffusionOptions;
import dev.lcm4j.nn.denoisers.CrossAttentionMask;
import dev.lcm4j.nn.schedulers.DdimScheduler;
import dev.lcm4j.nn.schedulers.DdimSchedulerConfig;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;

/**
 * The DDIM reverse process of the two-tower model, as the reference's {@code predict_next_sentence} (no guidance)
 * and {@code predict_next_sentence_with_cf_guidance}: from a latent x_T ~ N(0, initial_noise_scale^2), each scheduled
 * step denoises conditioned on the encoded context and steps to the next timestep; the result is the last predicted
 * x0, denormalized.
 *
 * <p>Classifier-free guidance runs the conditional and unconditional rows as ONE batch of 2B (the unconditional half
 * sees only the zero vector), turns both outputs into epsilon, combines them as
 * {@code eps = phi * std(cond) / std(g) * g + (1 - phi) * g} with {@code g = uncond + w (cond - uncond)} and torch's
 * unbiased std over the concept dimension, and steps as an epsilon model. At t = T - 1, where zero-terminal-SNR makes
 * alpha_bar 0 and epsilon undefined, the conditional output steps alone, as in the reference (docs/quirks.md #7, #8).
 */
public final class DiffusionSampler {
    private static final Logger LOG = LoggerFactory.getLogger(DiffusionSampler.class);

    private final TwoTowerDiffusionLcm model;
    private final DiffusionOptions options;
    private final DdimScheduler scheduler;
    private final int[] schedule;
    private final int trainSteps;
    private final Noise noise;

    /** A sampler drawing its latents and DDIM noise from torch's global generator. */
    public DiffusionSampler(TwoTowerDiffusionLcm model, DiffusionOptions options) {
        this(model, options, Noise.global());
    }

    /** A sampler drawing its latents and DDIM noise from {@code noise} (one row per batch row when per-row). */
    public DiffusionSampler(TwoTowerDiffusionLcm model, DiffusionOptions options, Noise noise) {
        options.validate();
        this.noise = noise;
        this.model = model;
        this.options = options;
        DdimSchedulerConfig c = model.config().noise_scheduler();
        if (options.thresholding()) {
            // as the reference's prep_for_denoising: the generator's thresholding options override the model's
            c = c.toBuilder().thresholding(true).dynamic_thresholding_ratio(options.dynamic_thresholding_ratio())
                    .sample_max_value(options.sample_max_value()).build();
            this.scheduler = new DdimScheduler(c);
        } else {
            this.scheduler = model.scheduler();
        }
        this.trainSteps = c.num_diffusion_train_steps();
        this.schedule = scheduler.timesteps(options.inference_timesteps(), options.reference_timestep_stride());
        boolean guidanceAsked = options.classifierFreeGuidance() || options.guidance_rescale() != 0.0;
        if (guidanceAsked && !model.config().trained_with_cf_guidance() && model.guidanceWarningDue()) {
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
        Tensor x = noise.randn(new long[] {b, s, model.sonarEmbedDim()}, null).mul(Tensors.scalar(options.initial_noise_scale()));
        return clip(x);
    }

    /**
     * Runs the reverse process.
     *
     * @param context [B, L, D] context-encoder output (normalized space)
     * @param allowed bool [B, 1, S, L + 1] conditional cross-attention mask, or null when every key is valid
     * @param latents [B, S, C] initial latents (see {@link #initialLatents})
     * @return [B, S, C] denormalized concepts
     */
    public Tensor sample(Tensor context, Tensor allowed, Tensor latents) {
        return sample(context, allowed, latents, null);
    }

    /** {@link #sample(Tensor, Tensor, Tensor)} reusing the per-timestep AdaLN modulations of {@code cache} (may be null). */
    public Tensor sample(Tensor context, Tensor allowed, Tensor latents, ModulationCache cache) {
        long b = latents.size(0), s = latents.size(1), l = context.size(1);
        boolean cfg = options.classifierFreeGuidance();
        Tensor ctx = context;
        Tensor mask = allowed;
        if (cfg) {
            ctx = cat(new TensorVector(context, zeros_like(context)), 0);                       // [2B,L,D]
            Tensor cond = allowed != null ? allowed
                    : ones(new long[] {b, 1, s, l + 1}, Tensors.opts(ScalarType.Bool, context.device()));
            mask = cat(new TensorVector(cond, CrossAttentionMask.unconditional(b, s, l, context.device())), 0); // [2B,1,S,L+1]
        }
        // the context is the same at every step: project its cross-attention keys and values once
        Tensor[][] prepared = model.denoiser().prepareContext(ctx);
        DdimScheduler.Step out = null;
        for (int k = 0; k < schedule.length; k++) {
            int t = schedule[k];
            int prevT = options.reference_timestep_stride() ? scheduler.referencePrevious(t, options.inference_timesteps())
                    : DdimScheduler.previous(schedule, k);
            Tensor input = cfg ? cat(new TensorVector(latents, latents), 0) : latents;        // [B|2B,S,C]
            // one timestep for every row: its modulations are computed once, [1,1,D], and broadcast
            var mods = cache != null ? cache.get(t) : model.modulations(TwoTowerDiffusionLcm.timestepTensor(1, 1, t));
            Tensor pred = model.denoise(input, mods, prepared, mask);                         // [B|2B,S,C]
            if (!cfg) {
                out = scheduler.step(pred, t, prevT, latents, options.ddim_eta(), stepNoise(latents), options.epsilon_scaling());
            } else if (t == trainSteps - 1) {
                out = scheduler.step(pred.narrow(0, 0, b), t, prevT, latents, options.ddim_eta(), stepNoise(latents), options.epsilon_scaling());
            } else {
                Tensor eps = guide(scheduler.epsilon(pred, input, t));
                out = scheduler.step(eps, t, prevT, latents, options.ddim_eta(), stepNoise(latents), options.epsilon_scaling(), "epsilon");
            }
            latents = clip(out.prevSample());
        }
        return model.normalizer().denormalize(out.predOriginalSample());
    }

    /** Classifier-free guidance with rescale on epsilon [2B, S, C] (conditional half first) -> [B, S, C]. */
    Tensor guide(Tensor eps) {
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
