package dev.lcm4j.models;

import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.Module;

/** What the trainer, generator and CLI need from any LCM family: its concept dimension, normalizer and config. */
public abstract class Lcm extends Module {
    /** The model family, as model cards name it ({@code base_lcm}, {@code two_tower_diffusion_lcm}). */
    public abstract String family();

    /** The model's config record (its YAML keys are the reference's). */
    public abstract Record configRecord();

    /** Dimension of the concepts the model reads and writes. */
    public abstract int sonarEmbedDim();

    /** Dimension of the model's predictions (the concept dimension unless a family projects elsewhere). */
    public int outputDim() {
        return sonarEmbedDim();
    }

    /** The normalizer, or null when the model has none. */
    public abstract SonarNormalizer normalizer();
}
