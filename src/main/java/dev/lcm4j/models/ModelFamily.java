package dev.lcm4j.models;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.ConfigBinder;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Noise;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kind of LCM, as fairseq2's {@code register_model_family}: everything the family-independent code (trainer,
 * generator, teacher-forced predictor, evaluator, CLI) needs to build, load, train and run it. A family lives in one
 * package ({@code models/<family>/}) and is registered with one line in {@link ModelFamilies}; nothing outside the
 * registry and that package knows which families exist.
 *
 * <p>The typed methods are what a family implements. The {@code ...Of} methods at the end take the family-independent
 * types ({@link Record}, {@link Lcm}) that generic code holds, check them against this family and call the typed ones.
 *
 * @param <C> the config record; its component names are the reference's YAML keys, so {@code model_config} of a
 *            reference card binds onto it
 * @param <M> the model
 * @param <O> the family's own sampling options (its generation flags beyond the generic stopping rules); a family
 *            without any uses {@link NoSamplingOptions}
 */
public abstract class ModelFamily<C extends Record, M extends Lcm, O extends Record> {
    private static final Logger LOG = LoggerFactory.getLogger(ModelFamily.class);

    private final String name;
    private final Class<C> configType;
    private final Class<M> modelType;
    private final Class<O> samplingOptionsType;

    protected ModelFamily(String name, Class<C> configType, Class<M> modelType, Class<O> samplingOptionsType) {
        this.name = name;
        this.configType = configType;
        this.modelType = modelType;
        this.samplingOptionsType = samplingOptionsType;
    }

    /** The family's name: {@code model_family} of cards, {@code model_type} of configs, the evaluation predictor name. */
    public final String name() {
        return name;
    }

    /** The {@code --predictor} name of {@code ./lcm evaluate} for this family's models (the reference's: the family name). */
    public String predictorName() {
        return name;
    }

    public final Class<C> configType() {
        return configType;
    }

    public final Class<M> modelType() {
        return modelType;
    }

    // ------------------------------------------------------------------------------------------ configs and models

    /**
     * Whether {@code config} is a config of this family (default: of its config type). Families that share one
     * config record tell theirs apart here (e.g. by {@code model_type}).
     */
    public boolean owns(Record config) {
        return configType.isInstance(config);
    }

    /** The config with the paths it names resolved against {@code card}'s file (default: it names none). */
    public C resolvePaths(C config, ModelCard card) {
        return config;
    }

    /**
     * The model to load {@code state} (a checkpoint's tensors) into; default {@link #build}. A family whose model
     * carries data that otherwise comes from a file can take it from the checkpoint instead.
     */
    public M buildForCheckpoint(C config, ParamFactory f, SonarNormalizer normalizer, Map<String, StoredTensor> state) {
        return build(config, f, normalizer);
    }

    /** The config without an arch: the reference's config dataclass defaults. */
    public abstract C defaultConfig();

    /** The named archs, the toy one first, each a complete config. */
    public abstract Map<String, Supplier<C>> archs();

    /** Checks a config (after overrides are merged) before anything is built or written; {@code where} names it. */
    public abstract void validate(C config, String where);

    /** The card name of the normalizer the config names, or null for a model without one. */
    public abstract String normalizerName(C config);

    /** The dimension of the concepts the model reads. */
    public abstract int conceptDim(C config);

    /**
     * A freshly initialised model (its parameters drawn from the torch RNG, which the caller seeds).
     *
     * @param normalizer the loaded normalizer card, or null (a model without one, or when only counting parameters)
     */
    public abstract M build(C config, ParamFactory f, SonarNormalizer normalizer);

    /**
     * Checkpoint key mapping: the state dict of a checkpoint (the reference's names, a DDP {@code module.} prefix
     * already stripped) as this family's modules name their tensors. The identity for families that use the
     * reference's names.
     */
    public Map<String, StoredTensor> mapCheckpointKeys(Map<String, StoredTensor> state) {
        return state;
    }

    // ------------------------------------------------------------------------------------------------- training

    /** The recipe names of the family: {@code +pretrain=NAME} and {@code +finetune=NAME} (the pretraining one first). */
    public abstract List<String> recipeNames();

    /** The reference's {@code trainer._trainer_} builder names that train this family. */
    public abstract List<String> trainerNames();

    /** The {@code trainer.criterion.name} values that train this family, the pretraining one first. */
    public abstract List<String> criterionNames();

    /** The criterion {@code config.name()} (one of {@link #criterionNames()}) for {@code model}. */
    public abstract Criterion criterion(CriterionConfig config, M model);

    /** Checks the training settings against the model's config before anything is written (default: nothing to check). */
    public void checkTraining(C config, CriterionConfig criterion) {
    }

    // ------------------------------------------------------------------------------------------------ inference

    /** The sampling options when the user sets none: the reference predictor's defaults. */
    public abstract O defaultSamplingOptions();

    /**
     * The sampling options from the flags the user set ({@code guidance_scale: 3.0, ...}; the reference's predictor
     * field names), merged over the defaults. Unknown keys are rejected by name, except by families without options
     * of their own, which warn that they ignore them.
     */
    public O samplingOptions(Map<String, Object> given, String where) {
        if (samplingOptionsType == NoSamplingOptions.class) {
            if (!given.isEmpty()) {
                LOG.warn("the sampling options {} do not apply to a {} model; ignored", given.keySet(), name);
            }
            return defaultSamplingOptions();
        }
        O o = ConfigBinder.bindOnto(given, defaultSamplingOptions(), samplingOptionsType, where);
        validateSamplingOptions(o);
        return o;
    }

    /** Checks sampling options (default: nothing to check). */
    public void validateSamplingOptions(O options) {
    }

    /** A generation step: how this family produces the next concept of every active row. */
    public abstract NextConceptStep nextConceptStep(M model, NextConceptStep.Settings settings, O options);

    /**
     * Teacher-forced prediction: for right-padded documents [B, T, C], output position t is the prediction of
     * concept t + 1 from concepts 0..t (denormalized; padded positions hold values to ignore). A family that samples
     * draws from {@code noise}.
     */
    public abstract Tensor predictNextConcepts(M model, EmbeddingsBatch batch, O options, Noise noise);

    // ------------------------------------------------- the same, for code that holds family-independent types

    /** {@link #validate} of a config record that must be this family's. */
    public final void validateConfig(Record config, String where) {
        validate(config(config), where);
    }

    public final String normalizerNameOf(Record config) {
        return normalizerName(config(config));
    }

    public final int conceptDimOf(Record config) {
        return conceptDim(config(config));
    }

    public final M buildOf(Record config, ParamFactory f, SonarNormalizer normalizer) {
        return build(config(config), f, normalizer);
    }

    public final Record resolvePathsOf(Record config, ModelCard card) {
        return resolvePaths(config(config), card);
    }

    public final M buildForCheckpointOf(Record config, ParamFactory f, SonarNormalizer normalizer, Map<String, StoredTensor> state) {
        return buildForCheckpoint(config(config), f, normalizer, state);
    }

    public final void checkTrainingOf(Record config, CriterionConfig criterion) {
        checkTraining(config(config), criterion);
    }

    public final Criterion criterionOf(CriterionConfig config, Lcm model) {
        return criterion(config, model(model));
    }

    /** Sampling options of this family: {@code options} itself, or the defaults when null. */
    public final O samplingOptionsOf(Record options) {
        if (options == null) return defaultSamplingOptions();
        if (!samplingOptionsType.isInstance(options)) {
            throw new LcmException(options.getClass().getSimpleName() + " are not sampling options of a " + name
                    + " model (it takes " + samplingOptionsType.getSimpleName() + ")");
        }
        return samplingOptionsType.cast(options);
    }

    public final NextConceptStep nextConceptStepOf(Lcm model, NextConceptStep.Settings settings, Record options) {
        return nextConceptStep(model(model), settings, samplingOptionsOf(options));
    }

    /** @param noise where a sampling family draws (one row per document of the batch, or the global generator) */
    public final Tensor predictNextConceptsOf(Lcm model, EmbeddingsBatch batch, Record options, Noise noise) {
        return predictNextConcepts(model(model), batch, samplingOptionsOf(options), noise);
    }

    private C config(Record config) {
        if (!owns(config)) {
            throw new LcmException("a " + config.getClass().getSimpleName() + " is not a config of model family " + name);
        }
        return configType.cast(config);
    }

    private M model(Lcm model) {
        if (!modelType.isInstance(model)) {
            throw new LcmException("the model is a " + model.family() + ", not a " + name + " model");
        }
        return modelType.cast(model);
    }

    @Override
    public final String toString() {
        return name;
    }
}
