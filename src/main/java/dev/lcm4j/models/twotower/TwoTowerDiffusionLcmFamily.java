package dev.lcm4j.models.twotower;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.NextConceptStep;
import dev.lcm4j.models.diffusion.DiffusionOptions;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.denoisers.CrossAttentionMask;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;

/**
 * The two-tower diffusion LCM ({@code two_tower_diffusion_lcm}): a context encoder reads the preceding concepts and
 * a denoiser turns noise into the next concept with DDIM, optionally with classifier-free guidance. Trained with
 * {@code two_tower_diffusion_next_sent} (pretraining) or {@code ..._finetuning}; a generation step encodes the last
 * concept (KV cache) and runs the whole reverse process for it. Sampling options: {@link DiffusionOptions}.
 */
public final class TwoTowerDiffusionLcmFamily
        extends ModelFamily<TwoTowerDiffusionLcmConfig, TwoTowerDiffusionLcm, DiffusionOptions> {
    public static final TwoTowerDiffusionLcmFamily INSTANCE = new TwoTowerDiffusionLcmFamily();

    private TwoTowerDiffusionLcmFamily() {
        super(TwoTowerDiffusionLcmConfig.FAMILY, TwoTowerDiffusionLcmConfig.class, TwoTowerDiffusionLcm.class, DiffusionOptions.class);
    }

    @Override
    public TwoTowerDiffusionLcmConfig defaultConfig() {
        return TwoTowerDiffusionLcmConfig.defaults();
    }

    @Override
    public Map<String, Supplier<TwoTowerDiffusionLcmConfig>> archs() {
        return TwoTowerDiffusionLcmArchs.all();
    }

    @Override
    public void validate(TwoTowerDiffusionLcmConfig config, String where) {
        config.validate(where);
    }

    @Override
    public String normalizerName(TwoTowerDiffusionLcmConfig config) {
        return config.sonar_normalizer_name();
    }

    @Override
    public int conceptDim(TwoTowerDiffusionLcmConfig config) {
        return config.sonar_embed_dim();
    }

    @Override
    public TwoTowerDiffusionLcm build(TwoTowerDiffusionLcmConfig config, ParamFactory f, SonarNormalizer normalizer) {
        return new TwoTowerDiffusionLcm(f, config, normalizer);
    }

    @Override
    public List<String> recipeNames() {
        return List.of("two_tower");
    }

    @Override
    public List<String> trainerNames() {
        return List.of("lcm.train.two_tower_diffusion_lcm.trainer.prepare_two_tower_diffusion_lcm_trainer");
    }

    @Override
    public List<String> criterionNames() {
        return List.of("two_tower_diffusion_next_sent", "two_tower_diffusion_next_sent_finetuning");
    }

    @Override
    public Criterion criterion(CriterionConfig config, TwoTowerDiffusionLcm model) {
        return new DiffusionCriterion(config, model);
    }

    /** Guidance training and the model's {@code trained_with_cf_guidance} must agree, as the reference asserts. */
    @Override
    public void checkTraining(TwoTowerDiffusionLcmConfig config, CriterionConfig criterion) {
        DiffusionCriterion.checkGuidance(criterion.cf_guidance_probability(), config.trained_with_cf_guidance());
    }

    @Override
    public DiffusionOptions defaultSamplingOptions() {
        return DiffusionOptions.defaults();
    }

    @Override
    public void validateSamplingOptions(DiffusionOptions options) {
        options.validate();
    }

    @Override
    public NextConceptStep nextConceptStep(TwoTowerDiffusionLcm model, NextConceptStep.Settings settings, DiffusionOptions options) {
        return new DiffusionStep(model, new DiffusionSampler(model, options, settings.noise()), settings.cached(), settings.noise());
    }

    /**
     * The reference's {@code TwoTowerDiffusionLCMScorer} behaviour: the context is encoded once, then the T next
     * concepts are sampled in parallel, each latent cross-attending to the zero vector and context positions 0..t.
     */
    @Override
    public Tensor predictNextConcepts(TwoTowerDiffusionLcm model, EmbeddingsBatch batch, DiffusionOptions options, Noise noise) {
        DiffusionSampler sampler = new DiffusionSampler(model, options, noise);
        Tensor ctx = model.encode(model.normalizer().normalize(batch.seqs()), null);    // [B,T,D]
        long t = ctx.size(1);
        Tensor allowed = CrossAttentionMask.nextPositions(t, t, batch.lengths(), ctx.device());
        return sampler.sample(ctx, allowed, sampler.initialLatents(ctx.size(0), t));   // [B,T,C]
    }

    /**
     * The context encoder runs incrementally (KV cache) and the context grows by one position per step; its
     * cross-attention keys and values grow with it in the sampler's {@link DiffusionSampler.ContextCache} (each
     * position projected once, written in place); the denoiser then runs the whole DDIM loop for one new concept per
     * row. Without the cache (which the reference does not support; docs/quirks.md #22) the full prefix is re-encoded
     * and re-projected at every step.
     */
    private static final class DiffusionStep implements NextConceptStep {
        private final TwoTowerDiffusionLcm model;
        private final DiffusionSampler sampler;
        private final IncrementalState state;
        private final DiffusionSampler.ContextCache context; // null without the cache
        private final ModulationCache modulations;
        private final Noise noise;

        DiffusionStep(TwoTowerDiffusionLcm model, DiffusionSampler sampler, boolean cached, Noise noise) {
            if (model.normalizer() == null) throw new LcmException("a two_tower_diffusion_lcm needs its normalizer to generate");
            this.model = model;
            this.noise = noise;
            this.sampler = sampler;
            this.state = cached ? new IncrementalState() : null;
            this.context = cached ? sampler.newContextCache() : null;
            this.modulations = new ModulationCache(model);
        }

        @Override
        public void prefill(Tensor prefix) {
            context.append(model.encode(model.normalizer().normalize(prefix), state));
        }

        @Override
        public Tensor next(Tensor input) {
            Tensor encoded = model.encode(model.normalizer().normalize(input), state);      // [rows, 1 | step, D]
            Tensor latents = sampler.initialLatents(encoded.size(0), 1);                    // [rows, 1, C]
            if (context == null) return sampler.sample(encoded, null, latents, modulations).select(1, 0);
            context.append(encoded);
            return sampler.sample(context, latents, modulations).select(1, 0);               // [rows, C]
        }

        @Override
        public void keepRows(Tensor rowIndex) {
            if (state != null) state.reorder(rowIndex);
            if (context != null) context.keepRows(rowIndex);
            noise.keepRows(Tensors.toLongs(rowIndex));
        }

        @Override
        public void close() {
            if (state != null) state.close();
            if (context != null) context.close();
            modulations.close();
        }
    }
}
