package dev.lcm4j.models.linear;

import static org.bytedeco.pytorch.global.torch.randn_like;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamily;
import dev.lcm4j.models.NextConceptStep;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Tensors;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * A family that exists only in the tests: it proves that a new family is one package plus one registration line.
 * It has its own arch, criterion, recipe and trainer names, generation step and sampling option.
 */
public final class LinearLcmFamily extends ModelFamily<LinearLcmConfig, LinearLcm, LinearLcmFamily.Options> {
    public static final LinearLcmFamily INSTANCE = new LinearLcmFamily();
    public static final String CRITERION = "linear_next_mse";
    public static final String TRAINER = "tests.linear_lcm.prepare_trainer";

    /**
     * The family's own sampling option.
     *
     * @param noise_scale std of Gaussian noise added to every generated concept (default 0: deterministic)
     */
    public record Options(double noise_scale) {
        public static Options defaults() {
            return new Options(0.0);
        }
    }

    private LinearLcmFamily() {
        super(LinearLcmConfig.FAMILY, LinearLcmConfig.class, LinearLcm.class, Options.class);
    }

    @Override
    public LinearLcmConfig defaultConfig() {
        return LinearLcmConfig.defaults();
    }

    @Override
    public Map<String, Supplier<LinearLcmConfig>> archs() {
        Map<String, Supplier<LinearLcmConfig>> m = new LinkedHashMap<>();
        m.put("toy_linear_lcm", LinearLcmConfig::defaults);
        return m;
    }

    @Override
    public void validate(LinearLcmConfig config, String where) {
        if (config.sonar_embed_dim() < 1) throw new LcmException(where + ".sonar_embed_dim must be positive");
    }

    @Override
    public String normalizerName(LinearLcmConfig config) {
        return null;
    }

    @Override
    public int conceptDim(LinearLcmConfig config) {
        return config.sonar_embed_dim();
    }

    @Override
    public LinearLcm build(LinearLcmConfig config, ParamFactory f, SonarNormalizer normalizer) {
        return new LinearLcm(f, config);
    }

    @Override
    public List<String> recipeNames() {
        return List.of("linear");
    }

    @Override
    public List<String> trainerNames() {
        return List.of(TRAINER);
    }

    @Override
    public List<String> criterionNames() {
        return List.of(CRITERION);
    }

    /** Sum over target positions t >= 1 of the squared error of W x_{t-1} + b against x_t. */
    @Override
    public Criterion criterion(CriterionConfig config, LinearLcm model) {
        return new Criterion() {
            @Override
            public Loss loss(Lcm m, EmbeddingsBatch batch) {
                Tensor x = batch.seqs();                                                     // [B,T,C]
                long t = x.size(1);
                Tensor pred = model.forward(x).narrow(1, 0, t - 1);                          // [B,T-1,C]
                Tensor err = pred.sub(x.narrow(1, 1, t - 1)).square().sum(new long[] {-1}, false, new ScalarTypeOptional());
                Tensor mask = batch.targetMask(false, 1).narrow(1, 1, t - 1);                // [B,T-1]
                Tensor loss = err.masked_fill(mask.logical_not(), Tensors.scalar(0.0)).sum();
                return new Loss(loss, mask.sum().item_long(), Map.of());
            }

            @Override
            public boolean supervised() {
                return false;
            }
        };
    }

    @Override
    public Options defaultSamplingOptions() {
        return Options.defaults();
    }

    @Override
    public void validateSamplingOptions(Options options) {
        if (options.noise_scale() < 0) throw new LcmException("noise_scale must be >= 0, got " + options.noise_scale());
    }

    @Override
    public NextConceptStep nextConceptStep(LinearLcm model, NextConceptStep.Settings settings, Options options) {
        return new NextConceptStep() {
            @Override
            public void prefill(Tensor prefix) {
                // the next concept depends on the last one only: nothing to cache
            }

            @Override
            public Tensor next(Tensor input) {
                Tensor y = model.forward(input.select(1, input.size(1) - 1));             // [rows, C]
                return options.noise_scale() > 0 ? y.add(randn_like(y).mul(Tensors.scalar(options.noise_scale()))) : y;
            }

            @Override
            public void keepRows(Tensor rowIndex) {
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public Tensor predictNextConcepts(LinearLcm model, EmbeddingsBatch batch, Options options, dev.lcm4j.torch.Noise noise) {
        return model.forward(batch.seqs());
    }
}
