package dev.lcm4j.models.twotower;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.models.diffusion.DdimSampler;
import dev.lcm4j.models.diffusion.DiffusionOptions;
import dev.lcm4j.nn.AdaLnModulator;
import dev.lcm4j.nn.KvCache;
import dev.lcm4j.nn.denoisers.CrossAttentionMask;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * The DDIM reverse process of the two-tower model on the shared {@link DdimSampler} (guidance, rescale, schedule,
 * thresholding, clipping are there): here is what a two-tower denoising step reads, the encoded context through the
 * denoiser's cross-attention, with the per-timestep AdaLN modulations and the context's keys/values computed once.
 * With guidance the unconditional rows see only the zero vector, key 0.
 */
public final class DiffusionSampler {
    private final TwoTowerDiffusionLcm model;
    private final DdimSampler ddim;

    /** A sampler drawing its latents and DDIM noise from torch's global generator. */
    public DiffusionSampler(TwoTowerDiffusionLcm model, DiffusionOptions options) {
        this(model, options, Noise.global());
    }

    /** A sampler drawing its latents and DDIM noise from {@code noise} (one row per batch row when per-row). */
    public DiffusionSampler(TwoTowerDiffusionLcm model, DiffusionOptions options, Noise noise) {
        this.model = model;
        this.ddim = new DdimSampler(model.scheduler(), options, noise, model.sonarEmbedDim(), model::onDevice,
                model.config().trained_with_cf_guidance(), model::guidanceWarningDue);
    }

    public DiffusionOptions options() {
        return ddim.options();
    }

    /** The timesteps this sampler visits, in order. */
    public int[] schedule() {
        return ddim.schedule();
    }

    /** x_T for [B, S] positions: N(0, 1) * initial_noise_scale, clipped to +-clip_noise (drawn from the sampler's noise). */
    public Tensor initialLatents(long b, long s) {
        return ddim.initialLatents(b, s);
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
        Tensor[][] uncond = ddim.options().classifierFreeGuidance() ? model.denoiser().prepareContext(
                zeros(new long[] {b, 0, model.modelDim()}, Tensors.opts(latents.scalar_type(), latents.device()))) : null;
        // one timestep for every row: its modulations are computed once per step, [1,1,D], and broadcast
        int[] lastT = {-1};
        AdaLnModulator.Modulation[][][] mods = new AdaLnModulator.Modulation[1][][];
        DdimSampler.Denoiser denoiser = (x, t, conditional) -> {
            if (t != lastT[0]) {
                mods[0] = cache != null ? cache.get(t) : model.modulations(model.timestepTensor(1, 1, t));
                lastT[0] = t;
            }
            return conditional ? model.denoise(x, mods[0], prepared, allowed) : model.denoise(x, mods[0], uncond, null);
        };
        return model.normalizer().denormalize(ddim.run(denoiser, latents));
    }

    /** Classifier-free guidance with rescale on epsilon [2B, S, C] (conditional half first) -> [B, S, C]: {@link DdimSampler#guide}. */
    Tensor guide(Tensor eps) {
        return ddim.guide(eps);
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
}
