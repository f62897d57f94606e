package dev.lcm4j.cli;

import dev.lcm4j.inference.DiffusionOptions;
import picocli.CommandLine.Option;

/**
 * The two-tower sampling options of {@code ./lcm generate} and {@code ./lcm predict}, named as the reference's
 * predictor flags. Unset options keep the reference's defaults ({@link DiffusionOptions#defaults()}).
 */
final class DiffusionOptionsMixin {
    @Option(names = "--inference_timesteps", description = "Denoising steps S, 1..T (two-tower; default 100; README: 40)") Integer inferenceTimesteps;
    @Option(names = "--initial_noise_scale", description = "Std of the initial latent (two-tower; default 1.0; README: 0.6)") Double initialNoiseScale;
    @Option(names = "--guidance_scale", description = "Classifier-free guidance weight; 1 = none (two-tower; default 1.0; README: 3)") Double guidanceScale;
    @Option(names = "--guidance_rescale", description = "CFG rescale factor (two-tower; default 0.0; README: 0.7)") Double guidanceRescale;
    @Option(names = "--ddim_eta", description = "0 = deterministic DDIM (default), 1 = DDPM-like noise") Double ddimEta;
    @Option(names = "--epsilon_scaling", description = "Divide the implied epsilon by this factor (default: off)") Double epsilonScaling;
    @Option(names = "--clip_noise", description = "Clip latents to +-this after every step (default 100)") Double clipNoise;
    @Option(names = "--thresholding", arity = "1", description = "Dynamic thresholding of the predicted x0 (default false)") Boolean thresholding;
    @Option(names = "--dynamic_thresholding_ratio", description = "Quantile for dynamic thresholding (default 0.995)") Double thresholdingRatio;
    @Option(names = "--sample_max_value", description = "Bound of dynamic thresholding (default 6.0)") Double sampleMaxValue;
    @Option(names = "--reference_timestep_stride", arity = "0..1", description = {"Reproduce the reference's DDIM schedule, whose",
            "integer stride floor(T/S) runs 50 steps for --inference_timesteps 40 (default: exactly S steps;",
            "see docs/quirks.md #5, #6)"}) Boolean referenceStride;

    /** Whether any two-tower option was given (they do not apply to the MSE LCM). */
    boolean anySet() {
        return inferenceTimesteps != null || initialNoiseScale != null || guidanceScale != null || guidanceRescale != null || ddimEta != null
                || epsilonScaling != null || clipNoise != null || thresholding != null || thresholdingRatio != null || sampleMaxValue != null
                || referenceStride != null;
    }

    DiffusionOptions options() {
        DiffusionOptions d = DiffusionOptions.defaults();
        return new DiffusionOptions(
                guidanceScale != null ? guidanceScale : d.guidance_scale(),
                guidanceRescale != null ? guidanceRescale : d.guidance_rescale(),
                ddimEta != null ? ddimEta : d.ddim_eta(),
                epsilonScaling != null ? epsilonScaling : d.epsilon_scaling(),
                initialNoiseScale != null ? initialNoiseScale : d.initial_noise_scale(),
                inferenceTimesteps != null ? inferenceTimesteps : d.inference_timesteps(),
                clipNoise != null ? clipNoise : d.clip_noise(),
                thresholding != null ? thresholding : d.thresholding(),
                thresholdingRatio != null ? thresholdingRatio : d.dynamic_thresholding_ratio(),
                sampleMaxValue != null ? sampleMaxValue : d.sample_max_value(),
                referenceStride != null ? referenceStride : d.reference_timestep_stride());
    }
}
