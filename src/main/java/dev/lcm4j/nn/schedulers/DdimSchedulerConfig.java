package dev.lcm4j.nn.schedulers;

import dev.lcm4j.LcmException;
import java.util.Set;

/**
 * The reference's {@code DDIMSchedulerConfig} ({@code lcm/nn/schedulers/ddim.py}, adapted from HF diffusers), with
 * its field names and defaults.
 *
 * @param num_diffusion_train_steps T, the number of diffusion steps the model is trained with (default 1000)
 * @param beta_start                first beta of the linear schedules (irrelevant for the cosine one)
 * @param beta_end                  last beta of the linear schedules
 * @param beta_schedule             {@code squaredcos_cap_v2} (default), {@code linear}, {@code scaled_linear}, {@code sigmoid}
 * @param scaled_linear_exponent    exponent of {@code scaled_linear} (2: quadratic)
 * @param sigmoid_schedule_alpha    alpha of the LCM paper's sigmoid schedule (Eq. 14)
 * @param sigmoid_schedule_beta     beta of the sigmoid schedule
 * @param clip_sample               clip the predicted x0 to +-clip_sample_range
 * @param clip_sample_range         clipping bound
 * @param set_alpha_to_one          the "previous" alpha_bar of the last step is 1 (else alpha_bar[0])
 * @param prediction_type           what the model predicts: {@code sample} (x0, default), {@code epsilon}, {@code v_prediction}
 * @param thresholding              dynamic thresholding of x0 (Imagen)
 * @param dynamic_thresholding_ratio quantile of |x0| used as the threshold
 * @param sample_max_value          upper bound of the dynamic threshold
 * @param rescale_betas_zero_snr    rescale to zero terminal SNR (Lin et al. 2023, Alg. 1): alpha_bar[T-1] = 0
 * @param timestep_spacing          {@code trailing} (default), {@code linspace}, {@code leading}
 */
public record DdimSchedulerConfig(int num_diffusion_train_steps, double beta_start, double beta_end, String beta_schedule,
                                  double scaled_linear_exponent, double sigmoid_schedule_alpha, double sigmoid_schedule_beta,
                                  boolean clip_sample, double clip_sample_range, boolean set_alpha_to_one, String prediction_type,
                                  boolean thresholding, double dynamic_thresholding_ratio, double sample_max_value,
                                  boolean rescale_betas_zero_snr, String timestep_spacing) {

    static final Set<String> SCHEDULES = Set.of("squaredcos_cap_v2", "linear", "scaled_linear", "sigmoid");
    static final Set<String> PREDICTIONS = Set.of("sample", "epsilon", "v_prediction");
    static final Set<String> SPACINGS = Set.of("trailing", "linspace", "leading");

    public DdimSchedulerConfig {
        if (num_diffusion_train_steps < 1) throw new LcmException("num_diffusion_train_steps must be >= 1, got " + num_diffusion_train_steps);
        if (!SCHEDULES.contains(beta_schedule)) throw new LcmException("unknown beta_schedule '" + beta_schedule + "'; use one of " + SCHEDULES);
        if (!PREDICTIONS.contains(prediction_type)) throw new LcmException("unknown prediction_type '" + prediction_type + "'; use one of " + PREDICTIONS);
        if (!SPACINGS.contains(timestep_spacing)) throw new LcmException("unknown timestep_spacing '" + timestep_spacing + "'; use one of " + SPACINGS);
    }

    /** The reference's defaults. */
    public static DdimSchedulerConfig defaults() {
        return new Builder().build();
    }

    /** The defaults with another T (the two-tower archs train with 100 steps). */
    public DdimSchedulerConfig withTrainSteps(int t) {
        return toBuilder().num_diffusion_train_steps(t).build();
    }

    public DdimSchedulerConfig withSchedule(String schedule, boolean rescaleZeroSnr) {
        return toBuilder().beta_schedule(schedule).rescale_betas_zero_snr(rescaleZeroSnr).build();
    }

    public DdimSchedulerConfig withSpacing(String spacing) {
        return toBuilder().timestep_spacing(spacing).build();
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
        private int num_diffusion_train_steps = 1000;
        private double beta_start = 0.0001;
        private double beta_end = 0.02;
        private String beta_schedule = "squaredcos_cap_v2";
        private double scaled_linear_exponent = 2.0;
        private double sigmoid_schedule_alpha = 1.5;
        private double sigmoid_schedule_beta = 0;
        private boolean clip_sample = false;
        private double clip_sample_range = 1.0;
        private boolean set_alpha_to_one = true;
        private String prediction_type = "sample";
        private boolean thresholding = false;
        private double dynamic_thresholding_ratio = 0.995;
        private double sample_max_value = 1.0;
        private boolean rescale_betas_zero_snr = true;
        private String timestep_spacing = "trailing";

        private Builder() {
        }

        private Builder(DdimSchedulerConfig c) {
            this.num_diffusion_train_steps = c.num_diffusion_train_steps;
            this.beta_start = c.beta_start;
            this.beta_end = c.beta_end;
            this.beta_schedule = c.beta_schedule;
            this.scaled_linear_exponent = c.scaled_linear_exponent;
            this.sigmoid_schedule_alpha = c.sigmoid_schedule_alpha;
            this.sigmoid_schedule_beta = c.sigmoid_schedule_beta;
            this.clip_sample = c.clip_sample;
            this.clip_sample_range = c.clip_sample_range;
            this.set_alpha_to_one = c.set_alpha_to_one;
            this.prediction_type = c.prediction_type;
            this.thresholding = c.thresholding;
            this.dynamic_thresholding_ratio = c.dynamic_thresholding_ratio;
            this.sample_max_value = c.sample_max_value;
            this.rescale_betas_zero_snr = c.rescale_betas_zero_snr;
            this.timestep_spacing = c.timestep_spacing;
        }

        public Builder num_diffusion_train_steps(int v) {
            this.num_diffusion_train_steps = v;
            return this;
        }

        public Builder beta_start(double v) {
            this.beta_start = v;
            return this;
        }

        public Builder beta_end(double v) {
            this.beta_end = v;
            return this;
        }

        public Builder beta_schedule(String v) {
            this.beta_schedule = v;
            return this;
        }

        public Builder scaled_linear_exponent(double v) {
            this.scaled_linear_exponent = v;
            return this;
        }

        public Builder sigmoid_schedule_alpha(double v) {
            this.sigmoid_schedule_alpha = v;
            return this;
        }

        public Builder sigmoid_schedule_beta(double v) {
            this.sigmoid_schedule_beta = v;
            return this;
        }

        public Builder clip_sample(boolean v) {
            this.clip_sample = v;
            return this;
        }

        public Builder clip_sample_range(double v) {
            this.clip_sample_range = v;
            return this;
        }

        public Builder set_alpha_to_one(boolean v) {
            this.set_alpha_to_one = v;
            return this;
        }

        public Builder prediction_type(String v) {
            this.prediction_type = v;
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

        public Builder rescale_betas_zero_snr(boolean v) {
            this.rescale_betas_zero_snr = v;
            return this;
        }

        public Builder timestep_spacing(String v) {
            this.timestep_spacing = v;
            return this;
        }

        public DdimSchedulerConfig build() {
            return new DdimSchedulerConfig(num_diffusion_train_steps, beta_start, beta_end, beta_schedule, scaled_linear_exponent, sigmoid_schedule_alpha, sigmoid_schedule_beta, clip_sample, clip_sample_range, set_alpha_to_one, prediction_type, thresholding, dynamic_thresholding_ratio, sample_max_value, rescale_betas_zero_snr, timestep_spacing);
        }
    }
}
