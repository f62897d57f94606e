package dev.lcm4j.config;

import dev.lcm4j.LcmException;


/**
 * Training criterion ({@code trainer.criterion}); one record covers the reference's {@code CriterionConfig},
 * {@code LCMCriterionConfig}, {@code ReconstructionCriterionConfig} and {@code TowerDiffusionLCMCriterionConfig}, so
 * the recipes' keys bind whatever the family. A family's criterion reads the keys that concern it.
 *
 * @param name                           criterion, one of a model family's (e.g. {@code next_sentence_mse},
 *                                       {@code two_tower_diffusion_next_sent}). Required (reference: MISSING).
 * @param reduction                      {@code sum} or {@code mean} over target sentences. Default {@code sum}.
 * @param compute_rmse                   MSE criteria: use sqrt(sum of squared errors + 1e-5) per sentence.
 *                                       Default true (the recipes set false).
 * @param min_context_size               next_sentence_mse: first predicted position. Default 1.
 * @param cf_guidance_probability        two-tower: fraction of positions trained unconditionally (classifier-free
 *                                       guidance). Default 0.0 (the recipes use 0.15).
 * @param log_losses_per_timestep_bucket two-tower: also log losses per bucket of diffusion steps. Default false.
 * @param step_sampling                  two-tower: diffusion step sampling. Default {@link StepSamplingConfig#defaults()}.
 */
public record CriterionConfig(String name, Reduction reduction, boolean compute_rmse, int min_context_size,
                              double cf_guidance_probability, boolean log_losses_per_timestep_bucket,
                              StepSamplingConfig step_sampling) {

    /** How per-sentence losses are combined. */
    public enum Reduction { SUM, MEAN }

    public static CriterionConfig defaults() {
        return new Builder().build();
    }

    /** Checks the values; {@code path} is this node's dotted path for messages. */
    public void validate(String path) {
        if (name == null || name.isBlank()) {
            // which names exist is the model families' business: the trainer checks the name against them
            throw new LcmException(path + ".name is required, e.g. next_sentence_mse (the recipes set it)");
        }
        if (reduction == null) throw new LcmException(path + ".reduction is required (sum or mean)");
        if (min_context_size < 0) throw new LcmException(path + ".min_context_size must be >= 0, got " + min_context_size);
        if (cf_guidance_probability < 0 || cf_guidance_probability >= 1) {
            throw new LcmException(path + ".cf_guidance_probability must be in [0, 1), got " + cf_guidance_probability);
        }
        if (step_sampling == null) throw new LcmException(path + ".step_sampling must not be null");
        step_sampling.validate(path + ".step_sampling");
    }

    /** A builder holding the defaults, to change fields by name as the reference's keyword arguments do. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Named setters (the YAML keys) over the defaults or a copy of a config; {@link #build()} checks as the constructor does. */
    public static final class Builder {
        private String name = null;
        private Reduction reduction = Reduction.SUM;
        private boolean compute_rmse = true;
        private int min_context_size = 1;
        private double cf_guidance_probability = 0.0;
        private boolean log_losses_per_timestep_bucket = false;
        private StepSamplingConfig step_sampling = StepSamplingConfig.defaults();

        private Builder() {
        }

        private Builder(CriterionConfig c) {
            this.name = c.name;
            this.reduction = c.reduction;
            this.compute_rmse = c.compute_rmse;
            this.min_context_size = c.min_context_size;
            this.cf_guidance_probability = c.cf_guidance_probability;
            this.log_losses_per_timestep_bucket = c.log_losses_per_timestep_bucket;
            this.step_sampling = c.step_sampling;
        }

        public Builder name(String v) {
            this.name = v;
            return this;
        }

        public Builder reduction(Reduction v) {
            this.reduction = v;
            return this;
        }

        public Builder compute_rmse(boolean v) {
            this.compute_rmse = v;
            return this;
        }

        public Builder min_context_size(int v) {
            this.min_context_size = v;
            return this;
        }

        public Builder cf_guidance_probability(double v) {
            this.cf_guidance_probability = v;
            return this;
        }

        public Builder log_losses_per_timestep_bucket(boolean v) {
            this.log_losses_per_timestep_bucket = v;
            return this;
        }

        public Builder step_sampling(StepSamplingConfig v) {
            this.step_sampling = v;
            return this;
        }

        public CriterionConfig build() {
            return new CriterionConfig(name, reduction, compute_rmse, min_context_size, cf_guidance_probability, log_losses_per_timestep_bucket, step_sampling);
        }
    }
}
