package dev.lcm4j.models.onetower;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.CleanStreamStep;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.InterleavedMask;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.NextConceptStep;
import dev.lcm4j.models.diffusion.DdimSampler;
import dev.lcm4j.models.diffusion.DiffusionOptions;
import dev.lcm4j.models.diffusion.GuidanceTraining;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Noise;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;

/**
 * The One-Tower diffusion LCM ({@code one_tower_diffusion_lcm}, paper §2.3.3): one causal transformer over
 * interleaved noisy and clean concepts. Trained with {@code one_tower_diffusion_next_sent} (pretraining) or
 * {@code ..._finetuning}; a generation step appends the last concept to the clean stream's KV cache and runs the DDIM
 * reverse process for one new concept against it. Sampling options: {@link DiffusionOptions}, the same as two-tower's.
 */
public final class OneTowerDiffusionLcmFamily
        extends ModelFamily<OneTowerDiffusionLcmConfig, OneTowerDiffusionLcm, DiffusionOptions> {
    public static final OneTowerDiffusionLcmFamily INSTANCE = new OneTowerDiffusionLcmFamily();

    /** The {@code _trainer_} name of the recipes, in the reference's dotted style (the reference has no one-tower trainer). */
    public static final String TRAINER = "lcm.train.one_tower_diffusion_lcm.trainer.prepare_one_tower_diffusion_lcm_trainer";

    private OneTowerDiffusionLcmFamily() {
        super(OneTowerDiffusionLcmConfig.FAMILY, OneTowerDiffusionLcmConfig.class, OneTowerDiffusionLcm.class, DiffusionOptions.class);
    }

    @Override
    public OneTowerDiffusionLcmConfig defaultConfig() {
        return OneTowerDiffusionLcmConfig.defaults();
    }

    @Override
    public Map<String, Supplier<OneTowerDiffusionLcmConfig>> archs() {
        return OneTowerDiffusionLcmArchs.all();
    }

    @Override
    public void validate(OneTowerDiffusionLcmConfig config, String where) {
        config.validate(where);
    }

    @Override
    public String normalizerName(OneTowerDiffusionLcmConfig config) {
        return config.sonar_normalizer_name();
    }

    @Override
    public int conceptDim(OneTowerDiffusionLcmConfig config) {
        return config.sonar_embed_dim();
    }

    @Override
    public OneTowerDiffusionLcm build(OneTowerDiffusionLcmConfig config, ParamFactory f, SonarNormalizer normalizer) {
        return new OneTowerDiffusionLcm(f, config, normalizer);
    }

    @Override
    public List<String> recipeNames() {
        return List.of("one_tower");
    }

    @Override
    public List<String> trainerNames() {
        return List.of(TRAINER);
    }

    @Override
    public List<String> criterionNames() {
        return List.of(OneTowerCriterion.PRETRAIN, OneTowerCriterion.FINETUNE);
    }

    @Override
    public Criterion criterion(CriterionConfig config, OneTowerDiffusionLcm model) {
        return new OneTowerCriterion(config, model);
    }

    /** Guidance training and the model's {@code trained_with_cf_guidance} must agree. */
    @Override
    public void checkTraining(OneTowerDiffusionLcmConfig config, CriterionConfig criterion) {
        GuidanceTraining.check(criterion.cf_guidance_probability(), config.trained_with_cf_guidance());
    }

    /** The paper's decoding settings (§2.4.1); no reference predictor exists whose defaults to keep (docs/quirks.md #39). */
    public static final DiffusionOptions PAPER_DECODING = DiffusionOptions.readme().toBuilder().epsilon_scaling(1.00045).build();

    @Override
    public DiffusionOptions defaultSamplingOptions() {
        return PAPER_DECODING;
    }

    @Override
    public void validateSamplingOptions(DiffusionOptions options) {
        options.validate();
    }

    /** The shared DDIM sampler for this model. */
    static DdimSampler sampler(OneTowerDiffusionLcm model, DiffusionOptions options, Noise noise) {
        return new DdimSampler(model.scheduler(), options, noise, model.sonarEmbedDim(), model::onDevice,
                model.config().trained_with_cf_guidance(), model::guidanceWarningDue);
    }

    /**
     * Denoising against a cached clean stream: the latents at positions {@code position..} attend to the cached
     * clean slots ({@code ctxAllowed}, null = all) conditionally, to themselves alone unconditionally. The timestep
     * embedding of a step is computed once for both halves.
     */
    static DdimSampler.Denoiser denoiser(OneTowerDiffusionLcm model, IncrementalState context, long position, Tensor ctxAllowed) {
        int[] lastT = {-1};
        Tensor[] temb = new Tensor[1];
        return (latents, t, conditional) -> {
            if (t != lastT[0]) {
                temb[0] = model.timestepEmbedding(t);                                       // [1,1,d_t]
                lastT[0] = t;
            }
            return model.denoise(latents, temb[0], position, conditional ? context : null, ctxAllowed);
        };
    }

    @Override
    public NextConceptStep nextConceptStep(OneTowerDiffusionLcm model, NextConceptStep.Settings settings, DiffusionOptions options) {
        return new OneTowerStep(model, sampler(model, options, settings.noise()), settings.cached(), settings.noise());
    }

    /**
     * Every position at once: the clean stream of each document runs once (its KV cache), then T latents are
     * denoised in parallel, latent i at position i + 1 attending to the clean slots 0..i and to itself.
     */
    @Override
    public Tensor predictNextConcepts(OneTowerDiffusionLcm model, EmbeddingsBatch batch, DiffusionOptions options, Noise noise) {
        if (model.normalizer() == null) throw new LcmException("a one_tower_diffusion_lcm needs its normalizer to predict");
        DdimSampler ddim = sampler(model, options, noise);
        return teacherForced(model, batch.seqs(), ddim, ddim.initialLatents(batch.seqs().size(0), batch.seqs().size(1)));
    }

    /** {@link #predictNextConcepts} from given latents [B, T, C]: raw seqs [B, T, C] -> denormalized [B, T, C]. */
    static Tensor teacherForced(OneTowerDiffusionLcm model, Tensor seqs, DdimSampler ddim, Tensor latents) {
        Tensor clean = model.normalizer().normalize(seqs);                                    // [B,T,C]
        IncrementalState context = new IncrementalState();
        try {
            model.encodeClean(clean, context);
            Tensor allowed = InterleavedMask.nextPositions(clean.size(1), clean.device());
            return model.normalizer().denormalize(ddim.run(denoiser(model, context, 1, allowed), latents));
        } finally {
            context.close();
        }
    }

    /**
     * One new concept per row: the new clean input joins the clean stream's KV cache (positions continue), then the
     * DDIM loop denoises one latent at the next position against the cache. Without the cache the whole prefix runs
     * through the clean stream at every step.
     */
    private static final class OneTowerStep extends CleanStreamStep<OneTowerDiffusionLcm> {
        private final DdimSampler ddim;

        OneTowerStep(OneTowerDiffusionLcm model, DdimSampler ddim, boolean cached, Noise noise) {
            super(model, cached, noise);
            this.ddim = ddim;
        }

        @Override
        protected Tensor nextConcept(IncrementalState context, Tensor input) {
            Tensor latents = ddim.initialLatents(input.size(0), 1);                   // [rows, 1, C]
            Tensor x0 = ddim.run(denoiser(model, context, context.step(), null), latents);
            return model.normalizer().denormalize(x0).select(1, 0);                   // [rows, C]
        }
    }
}
