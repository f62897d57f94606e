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
        return new StepSamplingConfig(Sampling.UNIFORM, Weighting.NONE, 0.8, 1.0, 0.0, 5.0);
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
}
