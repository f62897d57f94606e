package dev.lcm4j.models.twotower;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.models.diffusion.DiffusionOptions;
import dev.lcm4j.nn.KvCache;
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
 * <p>Classifier-free guidance denoises every row twice, conditionally and unconditionally (the unconditional rows see
 * only the zero vector, key 0; the reference runs them as the second half of one batch of 2B, which gives the same
 * values), turns both outputs into epsilon, combines them as
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
        // drawn on the CPU (the same numbers on any device), then moved to the model
        Tensor x = model.onDevice(noise.randn(new long[] {b, s, model.sonarEmbedDim()}, null)).mul(Tensors.scalar(options.initial_noise_scale()));
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
        // the context is the same at every step: project its cross-attention keys and values once
        return run(model.denoiser().prepareContext(context), allowed, latents, cache);
    }

    /**
     * {@link #sample(Tensor, Tensor, Tensor, ModulationCache)} on the context held by {@code context}, every key
     * allowed (generation: one latent per row after the whole context).
     */
    public Tensor sample(ContextCache context, Tensor latents, ModulationCache cache) {
        if (context.sampler() != this) throw new IllegalArgumentException("a context cache of another sampler");
        if (latents.size(0) != context.rows()) throw new IllegalArgumentException(latents.size(0) + " latent rows for a context of " + context.rows());
        return run(context.keysValues(), null, latents, cache);
    }

    /**
     * The reverse process on the conditional rows' prepared cross-attention keys/values [B, H, K, hd] and mask. With
     * guidance the unconditional rows (the reference's second half of a 2B batch, whose context is zeros and whose
     * mask allows key 0 only, {@link CrossAttentionMask#unconditional}) attend to key 0 alone: the softmax over one
     * key is exactly 1, as it is over key 0 and masked keys, so this is the same result without reading (or
     * building) a context per unconditional row. Both halves go through the denoiser separately and are stacked
     * conditional first.
     */
    private Tensor run(Tensor[][] prepared, Tensor allowed, Tensor latents, ModulationCache cache) {
        long b = latents.size(0);
        boolean cfg = options.classifierFreeGuidance();
        Tensor[][] uncond = cfg ? model.denoiser().prepareContext(
                zeros(new long[] {b, 0, model.modelDim()}, Tensors.opts(latents.scalar_type(), latents.device()))) : null;
        DdimScheduler.Step out = null;
        for (int k = 0; k < schedule.length; k++) {
            int t = schedule[k];
            int prevT = options.reference_timestep_stride() ? scheduler.referencePrevious(t, options.inference_timesteps())
                    : DdimScheduler.previous(schedule, k);
            // one timestep for every row: its modulations are computed once, [1,1,D], and broadcast
            var mods = cache != null ? cache.get(t) : model.modulations(model.timestepTensor(1, 1, t));
            Tensor pred = model.denoise(latents, mods, prepared, allowed);                   // [B,S,C]
            if (!cfg) {
                out = scheduler.step(pred, t, prevT, latents, options.ddim_eta(), stepNoise(latents), options.epsilon_scaling());
            } else if (t == trainSteps - 1) {
                out = scheduler.step(pred, t, prevT, latents, options.ddim_eta(), stepNoise(latents), options.epsilon_scaling());
            } else {
                Tensor both = cat(new TensorVector(pred, model.denoise(latents, mods, uncond, null)), 0); // [2B,S,C]
                Tensor eps = guide(scheduler.epsilon(both, cat(new TensorVector(latents, latents), 0), t));
                out = scheduler.step(eps, t, prevT, latents, options.ddim_eta(), stepNoise(latents), options.epsilon_scaling(), "epsilon");
            }
            latents = clip(out.prevSample());
        }
        return model.normalizer().denormalize(out.predOriginalSample());
    }

    /** A cache for {@link #sample(ContextCache, Tensor, ModulationCache)}: empty until the first {@link ContextCache#append}. */
    public ContextCache newContextCache() {
        return new ContextCache();
    }

    /**
     * The cross-attention keys and values of a context that grows during generation (zero vector, then the encoded
     * positions), per denoiser layer in {@link KvCache} buffers with room to grow: appending a position projects that
     * position only and writes it in place. Projecting the whole context for every concept instead costs O(L) matrix
     * products per concept, quadratic over a generation, and dominated long generations. Holds native memory until
     * {@link #close}.
     */
    public final class ContextCache implements AutoCloseable {
        private final KvCache[] layers = new KvCache[model.denoiser().numLayers()];
        private long rows = -1;

        private ContextCache() {
            for (int i = 0; i < layers.length; i++) layers[i] = new KvCache();
        }

        DiffusionSampler sampler() {
            return DiffusionSampler.this;
        }

        /** Appends encoded context positions [B, S, D] (the first call puts the zero vector, key 0, before them). */
        public void append(Tensor encoded) {
            if (rows >= 0 && encoded.size(0) != rows) throw new IllegalArgumentException(encoded.size(0) + " rows for a cache of " + rows);
            Tensor[][] kv = rows < 0 ? model.denoiser().prepareContext(encoded) : model.denoiser().projectConditioning(encoded);
            for (int i = 0; i < layers.length; i++) layers[i].append(kv[i][0], kv[i][1]);
            rows = encoded.size(0);
        }

        /** Rows (the batch of latents that {@link #sample(ContextCache, Tensor, ModulationCache)} takes); -1 when empty. */
        public long rows() {
            return rows;
        }

        /** Keys held per row: 1 (the zero vector) + context positions; 0 before the first append. */
        public long keys() {
            return layers.length == 0 ? 0 : layers[0].length();
        }

        /** [layer][k | v] views [B, H, keys, hd] of everything cached. */
        Tensor[][] keysValues() {
            if (rows < 0) throw new IllegalStateException("empty context cache");
            Tensor[][] out = new Tensor[layers.length][];
            for (int i = 0; i < layers.length; i++) out[i] = layers[i].view();
            return out;
        }

        /** Keeps the rows {@code rowIndex} (long [B']). */
        public void keepRows(Tensor rowIndex) {
            if (rows < 0) return;
            for (KvCache c : layers) c.reorder(rowIndex);
            rows = rowIndex.size(0);
        }

        @Override
        public void close() {
            for (KvCache c : layers) c.clear();
            rows = -1;
        }
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
