package dev.lcm4j.models.quantlcm;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.CleanStreamStep;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.InterleavedMask;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.NextConceptStep;
import dev.lcm4j.models.diffusion.GuidanceTraining;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.quant.QuantizerFiles;
import dev.lcm4j.models.quant.ResidualQuantizer;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Noise;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;

/**
 * Quant-LCM-d ({@code quant_lcm_d}) and Quant-LCM-c ({@code quant_lcm_c}), paper §2.3.5: the One-Tower backbone over
 * partial centroid sums of a residual vector quantizer. One class, two registered instances; the config's
 * {@code model_type} says which. Trained with {@code quant_lcm_d_next_sent} / {@code quant_lcm_c_next_sent}; a
 * generation step appends the last concept to the clean stream's KV cache and runs the M codebook steps
 * ({@link QuantLcmSampling}). Sampling options: {@link QuantSamplingOptions}, the paper's generation settings by default.
 */
public final class QuantLcmFamily extends ModelFamily<QuantLcmConfig, QuantLcm, QuantSamplingOptions> {
    public static final QuantLcmFamily DISCRETE = new QuantLcmFamily(QuantLcmConfig.DISCRETE);
    public static final QuantLcmFamily CONTINUOUS = new QuantLcmFamily(QuantLcmConfig.CONTINUOUS);

    private final boolean discrete;

    private QuantLcmFamily(String name) {
        super(name, QuantLcmConfig.class, QuantLcm.class, QuantSamplingOptions.class);
        this.discrete = QuantLcmConfig.DISCRETE.equals(name);
    }

    /** Both families share the config record: a config is this family's when its model_type says so. */
    @Override
    public boolean owns(Record config) {
        return config instanceof QuantLcmConfig c && name().equals(c.model_type());
    }

    @Override
    public QuantLcmConfig defaultConfig() {
        return QuantLcmConfig.defaults(name());
    }

    @Override
    public Map<String, Supplier<QuantLcmConfig>> archs() {
        return QuantLcmArchs.of(name());
    }

    @Override
    public void validate(QuantLcmConfig config, String where) {
        config.validate(name(), where);
    }

    @Override
    public String normalizerName(QuantLcmConfig config) {
        return config.sonar_normalizer_name();
    }

    @Override
    public int conceptDim(QuantLcmConfig config) {
        return config.sonar_embed_dim();
    }

    /** A relative quantizer_path of a card is relative to the card's file. */
    @Override
    public QuantLcmConfig resolvePaths(QuantLcmConfig config, ModelCard card) {
        String p = config.quantizer_path();
        if (p == null || Paths.get(p).isAbsolute()) return config;
        return config.withQuantizerPath(card.resolve(p).toString());
    }

    /** Reads the quantizer the config names (not on the meta device: counting needs no codebooks). */
    @Override
    public QuantLcm build(QuantLcmConfig config, ParamFactory f, SonarNormalizer normalizer) {
        if (f.isMeta()) return new QuantLcm(f, config, normalizer, null);
        return new QuantLcm(f, config, normalizer, readQuantizer(config).codebooks());
    }

    /**
     * A checkpoint holds the codebooks: the quantizer file is then not needed. The model is built with zero codebooks
     * and the loader fills them, checking their shape against the config like every other tensor's.
     */
    @Override
    public QuantLcm buildForCheckpoint(QuantLcmConfig config, ParamFactory f, SonarNormalizer normalizer, Map<String, StoredTensor> state) {
        if (!state.containsKey("quantizer_codebooks")) return build(config, f, normalizer);
        return new QuantLcm(f, config, normalizer, null);
    }

    /** The quantizer named by the config, checked against the model's shape (one line each way it can be wrong). */
    static ResidualQuantizer readQuantizer(QuantLcmConfig c) {
        if (c.quantizer_path() == null || c.quantizer_path().isBlank()) {
            throw new LcmException("a " + c.model_type() + " needs a fitted residual quantizer: fit one with ./lcm rvq fit --ds DATA --codebooks "
                    + c.num_codebooks() + " --units " + c.num_units() + " --output rvq.pt and set quantizer_path: rvq.pt");
        }
        Path p = Paths.get(c.quantizer_path());
        ResidualQuantizer q = QuantizerFiles.read(p);
        q.requireShape(c.sonar_embed_dim(), c.num_codebooks(), c.num_units(), "quantizer " + p, "the " + c.model_type() + " model");
        return q;
    }

    @Override
    public List<String> recipeNames() {
        return List.of(name());
    }

    @Override
    public List<String> trainerNames() {
        return List.of("lcm.train." + name() + ".trainer.prepare_" + name() + "_trainer");
    }

    @Override
    public List<String> criterionNames() {
        return List.of(discrete ? QuantLcmCriterion.DISCRETE : QuantLcmCriterion.CONTINUOUS);
    }

    @Override
    public Criterion criterion(CriterionConfig config, QuantLcm model) {
        return new QuantLcmCriterion(config, model);
    }

    @Override
    public void checkTraining(QuantLcmConfig config, CriterionConfig criterion) {
        GuidanceTraining.check(criterion.cf_guidance_probability(), config.trained_with_cf_guidance());
    }

    @Override
    public QuantSamplingOptions defaultSamplingOptions() {
        return discrete ? QuantSamplingOptions.PAPER_D : QuantSamplingOptions.PAPER_C;
    }

    @Override
    public void validateSamplingOptions(QuantSamplingOptions options) {
        options.validate(discrete);
    }

    @Override
    public NextConceptStep nextConceptStep(QuantLcm model, NextConceptStep.Settings settings, QuantSamplingOptions options) {
        checkOptions(model, options);
        return new QuantStep(model, options, settings.cached(), settings.noise());
    }

    /**
     * Every position at once: the clean stream runs once (its KV cache), then T queries go through the M codebook
     * steps together, query i at position i + 1 seeing the clean slots 0..i. The prediction is the dequantized z_M.
     */
    @Override
    public Tensor predictNextConcepts(QuantLcm model, EmbeddingsBatch batch, QuantSamplingOptions options, Noise noise) {
        checkOptions(model, options);
        return teacherForced(model, batch.seqs(), options, noise);
    }

    /** The options against this family and the model (top_k <= K); warns once about guidance the model was not trained for. */
    private void checkOptions(QuantLcm model, QuantSamplingOptions options) {
        options.validate(discrete);
        options.checkAgainst(model);
        QuantLcmSampling.warnGuidance(model, options);
    }

    /** raw seqs [B, T, C] -> [B, T, C] raw z_M of the concept after each prefix. */
    static Tensor teacherForced(QuantLcm model, Tensor seqs, QuantSamplingOptions options, Noise noise) {
        if (model.normalizer() == null) throw new LcmException("a " + model.family() + " needs its normalizer to predict");
        IncrementalState context = new IncrementalState();
        try {
            model.encodeClean(model.normalizer().normalize(seqs), context);
            long t = seqs.size(1);
            Tensor allowed = InterleavedMask.nextPositions(t, seqs.device());
            return QuantLcmSampling.generate(model, seqs.size(0), t, 1, context, allowed, options, noise).to(seqs.scalar_type());
        } finally {
            context.close();
        }
    }

    /** One new concept per row: the input joins the clean KV cache, then the codebook steps run at the next position. */
    private static final class QuantStep extends CleanStreamStep<QuantLcm> {
        private final QuantSamplingOptions options;

        QuantStep(QuantLcm model, QuantSamplingOptions options, boolean cached, Noise noise) {
            super(model, cached, noise);
            this.options = options;
        }

        @Override
        protected Tensor nextConcept(IncrementalState context, Tensor input) {
            Tensor z = QuantLcmSampling.generate(model, input.size(0), 1, context.step(), context, null, options, noise);
            return z.select(1, 0).to(input.scalar_type());                                // [rows, C]
        }
    }
}
