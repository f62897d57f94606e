package dev.lcm4j.models.baselcm;

import dev.lcm4j.nn.ProjectionConfig;
import dev.lcm4j.nn.TransformerConfig;

/**
 * The reference's {@code BaseLCModelConfig} (family {@code base_lcm}, the MSE LCM). YAML keys equal the field
 * names, so a reference {@code model_card.yaml}'s {@code model_config} binds onto it.
 *
 * @param model_type always "base_lcm"
 * @param sonar_embed_dim concept dimension (default 1024; any value works)
 * @param sonar_normalizer_name card of the normalizer; when set the loss is computed in normalized space
 * @param max_seq_len maximum number of sentences (default 2048)
 * @param model_dim transformer width (default 1024)
 * @param model_output_dim postnet output size; null means sonar_embed_dim
 * @param frontend pre-linear and positions
 * @param lcm the causal transformer decoder
 * @param postnet the output projection
 */
public record BaseLcmConfig(String model_type, int sonar_embed_dim, String sonar_normalizer_name, int max_seq_len,
                            int model_dim, Integer model_output_dim, LcmFrontendConfig frontend,
                            TransformerConfig lcm, ProjectionConfig postnet) {
    public static final String FAMILY = "base_lcm";

    public static BaseLcmConfig defaults() {
        return new Builder().build();
    }

    public int outputDim() {
        return model_output_dim == null ? sonar_embed_dim : model_output_dim;
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
        private Integer model_output_dim = null;
        private LcmFrontendConfig frontend = LcmFrontendConfig.defaults();
        private TransformerConfig lcm = TransformerConfig.defaults();
        private ProjectionConfig postnet = ProjectionConfig.defaults();

        private Builder() {
        }

        private Builder(BaseLcmConfig c) {
            this.model_type = c.model_type;
            this.sonar_embed_dim = c.sonar_embed_dim;
            this.sonar_normalizer_name = c.sonar_normalizer_name;
            this.max_seq_len = c.max_seq_len;
            this.model_dim = c.model_dim;
            this.model_output_dim = c.model_output_dim;
            this.frontend = c.frontend;
            this.lcm = c.lcm;
            this.postnet = c.postnet;
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

        public Builder model_output_dim(Integer v) {
            this.model_output_dim = v;
            return this;
        }

        public Builder frontend(LcmFrontendConfig v) {
            this.frontend = v;
            return this;
        }

        public Builder lcm(TransformerConfig v) {
            this.lcm = v;
            return this;
        }

        public Builder postnet(ProjectionConfig v) {
            this.postnet = v;
            return this;
        }

        public BaseLcmConfig build() {
            return new BaseLcmConfig(model_type, sonar_embed_dim, sonar_normalizer_name, max_seq_len, model_dim, model_output_dim, frontend, lcm, postnet);
        }
    }
}
