package dev.lcm4j.config;

import dev.lcm4j.LcmException;

/**
 * How the two-tower diffusion criterion draws a diffusion step per position (reference {@code StepsSamplerConfig}).
 *
 * @param sampling  step distribution: {@code uniform} over 0..T-1, or {@code beta} with weights
 *                  {@code s^(a-1)(1-s)^(b-1)/B(a,b)}, s = (1..T)/T. Default {@code uniform}.
 * @param weighting per-step loss weighting: {@code none}, or {@code clamp_snr} (gamma = clamp(SNR, min_gamma,
 *                  max_gamma), normalised to sum to the number of elements). Default {@code none}.
 * @param beta_a    alpha of the beta sampling distribution. Default 0.8.
 * @param beta_b    beta of the beta sampling distribution. Default 1.
 * @param min_gamma lower clamp of the SNR weight. Default 0.
 * @param max_gamma upper clamp of the SNR weight. Default 5.0.
 */
public record StepSamplingConfig(Sampling sampling, Weighting weighting, double beta_a, double beta_b,
                                 double min_gamma, double max_gamma) {

    public enum Sampling { UNIFORM, BETA }

    public enum Weighting { NONE, CLAMP_SNR }

    public static StepSamplingConfig defaults() {
        return new Builder().build();
    }

    /** Checks the values; {@code path} is this node's dotted path for messages. */
    public void validate(String path) {
        if (sampling == null) throw new LcmException(path + ".sampling is required (uniform or beta)");
        if (weighting == null) throw new LcmException(path + ".weighting is required (none or clamp_snr)");
        if (sampling == Sampling.BETA && (beta_a <= 0 || beta_b <= 0)) {
            throw new LcmException(path + ": beta_a and beta_b must be > 0, got " + beta_a + ", " + beta_b);
        }
        if (min_gamma > max_gamma) {
            throw new LcmException(path + ": min_gamma " + min_gamma + " is greater than max_gamma " + max_gamma);
        }
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
        private Sampling sampling = Sampling.UNIFORM;
        private Weighting weighting = Weighting.NONE;
        private double beta_a = 0.8;
        private double beta_b = 1.0;
        private double min_gamma = 0.0;
        private double max_gamma = 5.0;

        private Builder() {
        }

        private Builder(StepSamplingConfig c) {
            this.sampling = c.sampling;
            this.weighting = c.weighting;
            this.beta_a = c.beta_a;
            this.beta_b = c.beta_b;
            this.min_gamma = c.min_gamma;
            this.max_gamma = c.max_gamma;
        }

        public Builder sampling(Sampling v) {
            this.sampling = v;
            return this;
        }

        public Builder weighting(Weighting v) {
            this.weighting = v;
            return this;
        }

        public Builder beta_a(double v) {
            this.beta_a = v;
            return this;
        }

        public Builder beta_b(double v) {
            this.beta_b = v;
            return this;
        }

        public Builder min_gamma(double v) {
            this.min_gamma = v;
            return this;
        }

        public Builder max_gamma(double v) {
            this.max_gamma = v;
            return this;
        }

        public StepSamplingConfig build() {
            return new StepSamplingConfig(sampling, weighting, beta_a, beta_b, min_gamma, max_gamma);
        }
    }
}
