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
        return new Builder().build();
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
        private String model_type = FAMILY;
        private int sonar_embed_dim = 1024;
        private String sonar_normalizer_name = null;
        private int max_seq_len = 2048;
        private int model_dim = 1024;
        private EncoderFrontendConfig frontend = EncoderFrontendConfig.defaults();
        private TransformerConfig context_encoder = TransformerConfig.defaults();
        private DdimSchedulerConfig noise_scheduler = DdimSchedulerConfig.defaults();
        private DenoiserConfig denoiser = DenoiserConfig.defaults();
        private boolean trained_with_cf_guidance = false;

        private Builder() {
        }

        private Builder(TwoTowerDiffusionLcmConfig c) {
            this.model_type = c.model_type;
            this.sonar_embed_dim = c.sonar_embed_dim;
            this.sonar_normalizer_name = c.sonar_normalizer_name;
            this.max_seq_len = c.max_seq_len;
            this.model_dim = c.model_dim;
            this.frontend = c.frontend;
            this.context_encoder = c.context_encoder;
            this.noise_scheduler = c.noise_scheduler;
            this.denoiser = c.denoiser;
            this.trained_with_cf_guidance = c.trained_with_cf_guidance;
        }

        public Builder model_type(String v) {
            this.model_type = v;
            return this;
        }

        public Builder sonar_embed_dim(int v) {
            this.sonar_embed_dim = v;
            return this;
        }

        public Builder sonar_normalizer_name(String v) {
            this.sonar_normalizer_name = v;
            return this;
        }

        public Builder max_seq_len(int v) {
            this.max_seq_len = v;
            return this;
        }

        public Builder model_dim(int v) {
            this.model_dim = v;
            return this;
        }

        public Builder frontend(EncoderFrontendConfig v) {
            this.frontend = v;
            return this;
        }

        public Builder context_encoder(TransformerConfig v) {
            this.context_encoder = v;
            return this;
        }

        public Builder noise_scheduler(DdimSchedulerConfig v) {
            this.noise_scheduler = v;
            return this;
        }

        public Builder denoiser(DenoiserConfig v) {
            this.denoiser = v;
            return this;
        }

        public Builder trained_with_cf_guidance(boolean v) {
            this.trained_with_cf_guidance = v;
            return this;
        }

        public TwoTowerDiffusionLcmConfig build() {
            return new TwoTowerDiffusionLcmConfig(model_type, sonar_embed_dim, sonar_normalizer_name, max_seq_len, model_dim, frontend, context_encoder, noise_scheduler, denoiser, trained_with_cf_guidance);
        }
    }
}
