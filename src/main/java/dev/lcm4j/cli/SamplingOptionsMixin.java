package dev.lcm4j.cli;

import dev.lcm4j.LcmException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine.Option;

/**
 * The sampling options of {@code ./lcm generate}, {@code predict} and {@code evaluate} that belong to a model family
 * rather than to the generic generator: the diffusion flags, named as the reference's predictor flags, and
 * {@code --sampling_option KEY=VALUE} for any family's own options. Unset options keep the family's defaults.
 */
final class SamplingOptionsMixin {
    @Option(names = "--sampling_option", paramLabel = "KEY=VALUE", description = {"Any sampling option of the model's",
            "family by its config name (repeatable; the value is YAML), for options without a flag of their own"})
    Map<String, String> extra;
    @Option(names = "--inference_timesteps", description = "Denoising steps S, 1..T (two-tower default 100; one-tower default and README: 40)") Integer inferenceTimesteps;
    @Option(names = "--initial_noise_scale", description = "Std of the initial latent (two-tower default 1.0; one-tower default and README: 0.6)") Double initialNoiseScale;
    @Option(names = "--guidance_scale", description = "Classifier-free guidance weight; 1 = none (two-tower default 1.0; one-tower default and README: 3)") Double guidanceScale;
    @Option(names = "--guidance_rescale", description = "CFG rescale factor (two-tower default 0.0; one-tower default and README: 0.7)") Double guidanceRescale;
    @Option(names = "--ddim_eta", description = "0 = deterministic DDIM (default), 1 = DDPM-like noise") Double ddimEta;
    @Option(names = "--epsilon_scaling", description = "Divide the implied epsilon by this factor (two-tower default: off; one-tower: 1.00045)") Double epsilonScaling;
    @Option(names = "--clip_noise", description = "Clip latents to +-this after every step (default 100)") Double clipNoise;
    @Option(names = "--thresholding", arity = "1", description = "Dynamic thresholding of the predicted x0 (default false)") Boolean thresholding;
    @Option(names = "--dynamic_thresholding_ratio", description = "Quantile for dynamic thresholding (default 0.995)") Double thresholdingRatio;
    @Option(names = "--sample_max_value", description = "Bound of dynamic thresholding (default 6.0)") Double sampleMaxValue;
    @Option(names = "--reference_timestep_stride", arity = "0..1", description = {"Reproduce the reference's DDIM schedule, whose",
            "integer stride floor(T/S) runs 50 steps for --inference_timesteps 40 (default: exactly S steps;",
            "see docs/quirks.md #5, #6)"}) Boolean referenceStride;

    /**
     * The options the user gave, by the reference's field names; the model's family binds them onto its own sampling
     * options (a family without diffusion warns that it ignores them).
     */
    Map<String, Object> given() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (extra != null) {
            for (Map.Entry<String, String> e : extra.entrySet()) {
                Object v;
                try {
                    v = new Yaml(new SafeConstructor(new LoaderOptions())).load(e.getValue());
                } catch (YAMLException bad) {
                    throw new LcmException("--sampling_option " + e.getKey() + "=" + e.getValue() + ": the value is not a YAML scalar");
                }
                m.put(e.getKey(), v);
            }
        }
        put(m, "guidance_scale", guidanceScale);
        put(m, "guidance_rescale", guidanceRescale);
        put(m, "ddim_eta", ddimEta);
        put(m, "epsilon_scaling", epsilonScaling);
        put(m, "initial_noise_scale", initialNoiseScale);
        put(m, "inference_timesteps", inferenceTimesteps);
        put(m, "clip_noise", clipNoise);
        put(m, "thresholding", thresholding);
        put(m, "dynamic_thresholding_ratio", thresholdingRatio);
        put(m, "sample_max_value", sampleMaxValue);
        put(m, "reference_timestep_stride", referenceStride);
        return m;
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value != null) m.put(key, value);
    }
}
