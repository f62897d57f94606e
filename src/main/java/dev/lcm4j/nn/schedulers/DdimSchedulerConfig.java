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
        return new DdimSchedulerConfig(1000, 0.0001, 0.02, "squaredcos_cap_v2", 2.0, 1.5, 0, false, 1.0, true, "sample",
                false, 0.995, 1.0, true, "trailing");
    }

    /** The defaults with another T (the two-tower archs train with 100 steps). */
    public DdimSchedulerConfig withTrainSteps(int t) {
        return new DdimSchedulerConfig(t, beta_start, beta_end, beta_schedule, scaled_linear_exponent, sigmoid_schedule_alpha,
                sigmoid_schedule_beta, clip_sample, clip_sample_range, set_alpha_to_one, prediction_type, thresholding,
                dynamic_thresholding_ratio, sample_max_value, rescale_betas_zero_snr, timestep_spacing);
    }

    public DdimSchedulerConfig withSchedule(String schedule, boolean rescaleZeroSnr) {
        return new DdimSchedulerConfig(num_diffusion_train_steps, beta_start, beta_end, schedule, scaled_linear_exponent,
                sigmoid_schedule_alpha, sigmoid_schedule_beta, clip_sample, clip_sample_range, set_alpha_to_one, prediction_type,
                thresholding, dynamic_thresholding_ratio, sample_max_value, rescaleZeroSnr, timestep_spacing);
    }

    public DdimSchedulerConfig withSpacing(String spacing) {
        return new DdimSchedulerConfig(num_diffusion_train_steps, beta_start, beta_end, beta_schedule, scaled_linear_exponent,
                sigmoid_schedule_alpha, sigmoid_schedule_beta, clip_sample, clip_sample_range, set_alpha_to_one, prediction_type,
                thresholding, dynamic_thresholding_ratio, sample_max_value, rescale_betas_zero_snr, spacing);
    }
}
