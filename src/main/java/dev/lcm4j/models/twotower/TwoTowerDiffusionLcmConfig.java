package dev.lcm4j.models.twotower;

import dev.lcm4j.LcmException;
import dev.lcm4j.nn.TransformerConfig;
import dev.lcm4j.nn.denoisers.DenoiserConfig;
import dev.lcm4j.nn.schedulers.DdimSchedulerConfig;

/**
 * The reference's {@code TwoTowerDiffusionLCModelConfig} (family {@code two_tower_diffusion_lcm}); YAML keys equal
 * the field names, so a reference {@code model_card.yaml}'s {@code model_config} binds onto it.
 *
 * @param model_type               always "two_tower_diffusion_lcm"
 * @param sonar_embed_dim          concept dimension (default 1024)
 * @param sonar_normalizer_name    card of the normalizer; REQUIRED: diffusion runs in normalized space
 * @param max_seq_len              maximum number of sentences (default 2048)
 * @param model_dim                width of both towers (default 1024)
 * @param frontend                 the context encoder's frontend
 * @param context_encoder          the causal transformer that encodes the preceding concepts
 * @param noise_scheduler          the DDIM scheduler (T, betas, prediction type, ...)
 * @param denoiser                 the denoiser tower
 * @param trained_with_cf_guidance whether training dropped the context for some positions (classifier-free
 *                                 guidance); must agree with the criterion's cf_guidance_probability > 0
 */
public record TwoTowerDiffusionLcmConfig(String model_type, int sonar_embed_dim, String sonar_normalizer_name, int max_seq_len,
                                         int model_dim, EncoderFrontendConfig frontend, TransformerConfig context_encoder,
                                         DdimSchedulerConfig noise_scheduler, DenoiserConfig denoiser,
                                         boolean trained_with_cf_guidance) {
    public static final String FAMILY = "two_tower_diffusion_lcm";

    public static TwoTowerDiffusionLcmConfig defaults() {
        return new TwoTowerDiffusionLcmConfig(FAMILY, 1024, null, 2048, 1024, EncoderFrontendConfig.defaults(),
                TransformerConfig.defaults(), DdimSchedulerConfig.defaults(), DenoiserConfig.defaults(), false);
    }

    public void validate(String where) {
        if (sonar_normalizer_name == null || sonar_normalizer_name.isBlank()) {
            throw new LcmException(where + ": a two_tower_diffusion_lcm needs a normalizer (sonar_normalizer_name); fit one with"
                    + " ./lcm fit-normalizer --ds DATA --save_path norm.pt --card_name NAME and set sonar_normalizer_name: NAME"
                    + " (dummy_sonar_normalizer is the identity for 1024-d data)");
        }
        context_encoder.validate(where + ".context_encoder");
        denoiser.validate(where + ".denoiser", model_dim);
        if (frontend.weight_normalization()) throw new LcmException(where + ".frontend.weight_normalization is not supported by lcm4j yet");
    }
}
