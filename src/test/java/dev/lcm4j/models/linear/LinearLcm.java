package dev.lcm4j.models.linear;

import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.InitFn;
import dev.lcm4j.nn.Linear;
import dev.lcm4j.nn.ParamFactory;
import org.bytedeco.pytorch.Tensor;

/** x_{t+1} = W x_t + b: one {@code proj} Linear applied to every position; no normalizer, no context beyond x_t. */
public final class LinearLcm extends Lcm {
    private final LinearLcmConfig config;
    private final Linear proj;

    public LinearLcm(ParamFactory f, LinearLcmConfig c) {
        this.config = c;
        this.proj = registerModule("proj", new Linear(f, c.sonar_embed_dim(), c.sonar_embed_dim(), c.bias(), InitFn.parse("xavier")));
    }

    /** [B, T, C] -> [B, T, C]: position t predicts concept t + 1. */
    public Tensor forward(Tensor seqs) {
        return proj.forward(seqs);
    }

    @Override
    public String family() {
        return LinearLcmConfig.FAMILY;
    }

    @Override
    public Record configRecord() {
        return config;
    }

    @Override
    public int sonarEmbedDim() {
        return config.sonar_embed_dim();
    }

    @Override
    public SonarNormalizer normalizer() {
        return null;
    }
}
