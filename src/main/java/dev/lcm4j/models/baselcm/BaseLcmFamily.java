package dev.lcm4j.models.baselcm;

import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.NextConceptStep;
import dev.lcm4j.models.NoSamplingOptions;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;

/**
 * The MSE LCM ({@code base_lcm}): a causal transformer regresses the next concept. Trained with
 * {@code next_sentence_mse} (pretraining) or {@code target_mse} (finetuning); a generation step is one forward pass
 * over the KV cache, optionally with Gaussian noise ({@code sample_latent_variable}).
 */
public final class BaseLcmFamily extends ModelFamily<BaseLcmConfig, BaseLcm, NoSamplingOptions> {
    public static final BaseLcmFamily INSTANCE = new BaseLcmFamily();

    private BaseLcmFamily() {
        super(BaseLcmConfig.FAMILY, BaseLcmConfig.class, BaseLcm.class, NoSamplingOptions.class);
    }

    @Override
    public BaseLcmConfig defaultConfig() {
        return BaseLcmConfig.defaults();
    }

    @Override
    public Map<String, Supplier<BaseLcmConfig>> archs() {
        return BaseLcmArchs.all();
    }

    @Override
    public void validate(BaseLcmConfig config, String where) {
        config.lcm().validate(where + ".lcm");
    }

    @Override
    public String normalizerName(BaseLcmConfig config) {
        return config.sonar_normalizer_name();
    }

    @Override
    public int conceptDim(BaseLcmConfig config) {
        return config.sonar_embed_dim();
    }

    @Override
    public BaseLcm build(BaseLcmConfig config, ParamFactory f, SonarNormalizer normalizer) {
        return new BaseLcm(f, config, normalizer);
    }

    @Override
    public List<String> recipeNames() {
        return List.of("mse");
    }

    @Override
    public List<String> trainerNames() {
        return List.of("lcm.train.lcm.trainer.prepare_lcm_trainer");
    }

    @Override
    public List<String> criterionNames() {
        return List.of("next_sentence_mse", "target_mse");
    }

    @Override
    public Criterion criterion(CriterionConfig config, BaseLcm model) {
        MseCriterion mse = new MseCriterion(config.name(), config.reduction().name().toLowerCase(Locale.ROOT),
                config.compute_rmse(), config.min_context_size());
        return new Criterion() {
            @Override
            public Loss loss(Lcm m, EmbeddingsBatch batch) {
                MseCriterion.Output o = mse.compute((BaseLcm) m, batch);
                return new Loss(o.loss(), o.numTargets(), Map.of());
            }

            @Override
            public boolean supervised() {
                return mse.supervised();
            }
        };
    }

    @Override
    public NoSamplingOptions defaultSamplingOptions() {
        return NoSamplingOptions.defaults();
    }

    @Override
    public NextConceptStep nextConceptStep(BaseLcm model, NextConceptStep.Settings settings, NoSamplingOptions options) {
        return new MseStep(model, settings);
    }

    /** The reference's {@code predict_next_sentence} at every position, without noise. */
    @Override
    public Tensor predictNextConcepts(BaseLcm model, EmbeddingsBatch batch, NoSamplingOptions options, Noise noise) {
        return model.predictNextSentence(batch.seqs(), false, 0, null);
    }

    /**
     * One forward pass per step: {@code predict_next_sentence} on the cache, last position. With the global generator
     * the noise is drawn for every position the model sees, as the reference does; with per-row noise only for the
     * last one, so a row's draws are one concept per step whatever its batch, prompt lengths or cache setting.
     */
    private static final class MseStep implements NextConceptStep {
        private final BaseLcm model;
        private final IncrementalState state;
        private final boolean sample;
        private final double temperature;
        private final Noise noise;
        private final boolean perRow;

        MseStep(BaseLcm model, Settings settings) {
            this.model = model;
            this.state = settings.cached() ? new IncrementalState() : null;
            this.sample = settings.sampleLatentVariable();
            this.temperature = settings.temperature();
            this.noise = settings.noise();
            this.perRow = noise != Noise.global();
        }

        @Override
        public void prefill(Tensor prefix) {
            model.predictNextSentence(prefix, sample && !perRow, temperature, state);
        }

        @Override
        public Tensor next(Tensor input) {
            if (perRow) return model.predictLastSentence(input, sample ? noise : null, temperature, state);  // [rows, C]
            Tensor out = model.predictNextSentence(input, sample, temperature, state);  // [rows, 1 | step, C]
            return out.select(1, out.size(1) - 1);                                       // [rows, C]
        }

        @Override
        public void keepRows(Tensor rowIndex) {
            if (state != null) state.reorder(rowIndex);
            noise.keepRows(Tensors.toLongs(rowIndex));
        }

        @Override
        public void close() {
            if (state != null) state.close();
        }
    }
}
