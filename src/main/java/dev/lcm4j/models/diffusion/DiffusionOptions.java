package dev.lcm4j.models.diffusion;

import dev.lcm4j.LcmException;

/**
 * The diffusion half of the reference's {@code DiffusionLCMGeneratorOptions} (field names and defaults), plus
 * lcm4j's {@code reference_timestep_stride}.
 *
 * @param guidance_scale             classifier-free guidance weight w (Imagen's Eq. 2); 1 = no guidance (default 1.0)
 * @param guidance_rescale           CFG rescale phi (Lin et al. 2023, Alg. 2), with torch's unbiased std (default 0.0)
 * @param ddim_eta                   0 = deterministic DDIM, 1 = DDPM-like noise (default 0.0)
 * @param epsilon_scaling            divide the implied epsilon by this (Ning et al. 2023), or null (default)
 * @param initial_noise_scale        std of the initial latent (default 1.0; the README uses 0.6)
 * @param inference_timesteps        number of denoising steps S, 1..T (default 100; the README uses 40)
 * @param clip_noise                 latents are clipped to +-clip_noise after every step (default 100)
 * @param thresholding               dynamic thresholding of the predicted x0 (default false)
 * @param dynamic_thresholding_ratio quantile used by dynamic thresholding (default 0.995)
 * @param sample_max_value           bound of dynamic thresholding (default 6.0)
 * @param reference_timestep_stride  reproduce the reference's schedule: an integer stride floor(T/S), so S = 40 of
 *                                   T = 100 runs 50 steps (default false: exactly S steps)
 */
public record DiffusionOptions(double guidance_scale, double guidance_rescale, double ddim_eta, Double epsilon_scaling,
                               double initial_noise_scale, int inference_timesteps, double clip_noise, boolean thresholding,
                               double dynamic_thresholding_ratio, double sample_max_value, boolean reference_timestep_stride) {
    public static DiffusionOptions defaults() {
        return new Builder().build();
    }

    /** The reference README's two-tower settings: 40 steps, noise 0.6, guidance 3 with rescale 0.7. */
    public static DiffusionOptions readme() {
        return builder().guidance_scale(3.0).guidance_rescale(0.7).initial_noise_scale(0.6).inference_timesteps(40).build();
    }

    public boolean classifierFreeGuidance() {
        return guidance_scale != 1.0;
    }

    public void validate() {
        if (!(initial_noise_scale > 0)) throw new LcmException("--initial_noise_scale must be > 0, got " + initial_noise_scale);
        if (!(clip_noise > 0)) throw new LcmException("--clip_noise must be > 0, got " + clip_noise);
        if (ddim_eta < 0) throw new LcmException("--ddim_eta must be >= 0, got " + ddim_eta);
        if (guidance_rescale < 0 || guidance_rescale > 1) throw new LcmException("--guidance_rescale must be in [0, 1], got " + guidance_rescale);
        if (epsilon_scaling != null && !(epsilon_scaling > 0)) throw new LcmException("--epsilon_scaling must be > 0, got " + epsilon_scaling);
        if (!Double.isFinite(guidance_scale)) throw new LcmException("--guidance_scale must be finite, got " + guidance_scale);
    }

    public DiffusionOptions withGuidance(double scale, double rescale) {
        return toBuilder().guidance_scale(scale).guidance_rescale(rescale).build();
    }

    public DiffusionOptions withTimesteps(int steps, boolean referenceStride) {
        return toBuilder().inference_timesteps(steps).reference_timestep_stride(referenceStride).build();
    }

    public DiffusionOptions withInitialNoiseScale(double s) {
        return toBuilder().initial_noise_scale(s).build();
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
        private double guidance_scale = 1.0;
        private double guidance_rescale = 0.0;
        private double ddim_eta = 0.0;
        private Double epsilon_scaling = null;
        private double initial_noise_scale = 1.0;
        private int inference_timesteps = 100;
        private double clip_noise = 100;
        private boolean thresholding = false;
        private double dynamic_thresholding_ratio = 0.995;
        private double sample_max_value = 6.0;
        private boolean reference_timestep_stride = false;

        private Builder() {
        }

        private Builder(DiffusionOptions c) {
            this.guidance_scale = c.guidance_scale;
            this.guidance_rescale = c.guidance_rescale;
            this.ddim_eta = c.ddim_eta;
            this.epsilon_scaling = c.epsilon_scaling;
            this.initial_noise_scale = c.initial_noise_scale;
            this.inference_timesteps = c.inference_timesteps;
            this.clip_noise = c.clip_noise;
            this.thresholding = c.thresholding;
            this.dynamic_thresholding_ratio = c.dynamic_thresholding_ratio;
            this.sample_max_value = c.sample_max_value;
            this.reference_timestep_stride = c.reference_timestep_stride;
        }

        public Builder guidance_scale(double v) {
            this.guidance_scale = v;
            return this;
        }

        public Builder guidance_rescale(double v) {
            this.guidance_rescale = v;
            return this;
        }

        public Builder ddim_eta(double v) {
            this.ddim_eta = v;
            return this;
        }

        public Builder epsilon_scaling(Double v) {
            this.epsilon_scaling = v;
            return this;
        }

        public Builder initial_noise_scale(double v) {
            this.initial_noise_scale = v;
            return this;
        }

        public Builder inference_timesteps(int v) {
            this.inference_timesteps = v;
            return this;
        }

        public Builder clip_noise(double v) {
            this.clip_noise = v;
            return this;
        }

        public Builder thresholding(boolean v) {
            this.thresholding = v;
            return this;
        }

        public Builder dynamic_thresholding_ratio(double v) {
            this.dynamic_thresholding_ratio = v;
            return this;
        }

        public Builder sample_max_value(double v) {
            this.sample_max_value = v;
            return this;
        }

        public Builder reference_timestep_stride(boolean v) {
            this.reference_timestep_stride = v;
            return this;
        }

        public DiffusionOptions build() {
            return new DiffusionOptions(guidance_scale, guidance_rescale, ddim_eta, epsilon_scaling, initial_noise_scale, inference_timesteps, clip_noise, thresholding, dynamic_thresholding_ratio, sample_max_value, reference_timestep_stride);
        }
    }
}
