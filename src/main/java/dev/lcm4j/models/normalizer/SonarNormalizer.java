package dev.lcm4j.models.normalizer;

import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;

/**
 * Maps SONAR embeddings to a normalized space and back: {@code normalize(x) = clip((x - center) / scale)},
 * {@code denormalize(y) = clip(y) * scale + center}; the clip bounds live in normalized space, as in the reference
 * (docs/quirks.md #10).
 * Buffers {@code center}, {@code scale} and, when clipping, {@code clip_min}, {@code clip_max}.
 */
public final class SonarNormalizer extends Module {
    private final SonarNormalizerConfig config;
    private final Tensor center, scale, clipMin, clipMax;

    public SonarNormalizer(ParamFactory f, SonarNormalizerConfig config) {
        config.validate();
        this.config = config;
        this.center = registerBuffer("center", f.zeros(config.dim()));
        this.scale = registerBuffer("scale", f.ones(config.dim()));
        boolean clip = config.clip_proba() != null;
        this.clipMin = clip ? registerBuffer("clip_min", f.zeros(config.dim())) : null;
        this.clipMax = clip ? registerBuffer("clip_max", f.zeros(config.dim())) : null;
    }

    public SonarNormalizerConfig config() {
        return config;
    }

    public Tensor normalize(Tensor x) {
        Tensor y = x.sub(center.to(x.scalar_type())).div(scale.to(x.scalar_type()));
        return clipMin == null ? y : y.clamp(new TensorOptional(clipMin.to(x.scalar_type())), new TensorOptional(clipMax.to(x.scalar_type())));
    }

    public Tensor denormalize(Tensor y) {
        if (clipMin != null) y = y.clamp(new TensorOptional(clipMin.to(y.scalar_type())), new TensorOptional(clipMax.to(y.scalar_type())));
        return y.mul(scale.to(y.scalar_type())).add(center.to(y.scalar_type()));
    }

    /** Sets the statistics (e.g. from {@link NormalizerFit}). */
    public void set(float[] centerValues, float[] scaleValues, float[] clipMinValues, float[] clipMaxValues) {
        try (NoGradGuard g = new NoGradGuard()) {
            center.copy_(Tensors.floats(centerValues, centerValues.length));
            scale.copy_(Tensors.floats(scaleValues, scaleValues.length));
            if (clipMin != null) {
                clipMin.copy_(Tensors.floats(clipMinValues, clipMinValues.length));
                clipMax.copy_(Tensors.floats(clipMaxValues, clipMaxValues.length));
            }
        }
    }

    public float[] center() { return Tensors.toFloats(center); }
    public float[] scale() { return Tensors.toFloats(scale); }
}
