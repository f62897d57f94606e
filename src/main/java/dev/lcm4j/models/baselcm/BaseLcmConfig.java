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
        return new BaseLcmConfig(FAMILY, 1024, null, 2048, 1024, null, LcmFrontendConfig.defaults(),
                TransformerConfig.defaults(), ProjectionConfig.defaults());
    }

    public int outputDim() {
        return model_output_dim == null ? sonar_embed_dim : model_output_dim;
    }
}
