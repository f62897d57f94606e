package dev.lcm4j.nn.denoisers;

import dev.lcm4j.LcmException;
import dev.lcm4j.nn.ProjectionConfig;
import dev.lcm4j.nn.TransformerConfig;

/**
 * The reference's {@code DenoiserConfig} ({@code lcm/nn/denoisers/factory.py}): a {@link TransformerConfig} (same
 * YAML keys and defaults) whose {@code pos_embedding_style} defaults to {@code none}, plus the denoiser's own keys.
 *
 * @param pre_denoiser       projection SONAR dim -> model dim at the denoiser's input ({@code initial_proj})
 * @param post_denoiser      projection model dim -> SONAR dim at its output ({@code final_proj})
 * @param timestep_embed_dim width of the timestep embedding; must equal the model dim (default 1024)
 */
public record DenoiserConfig(
        int num_layers,
        int num_attn_heads,
        double dropout_p,
        double final_dropout_p,
        double attention_dropout_p,
        int ffn_inner_dim,
        boolean use_swiglu,
        String ffn_inner_activation_name,
        String pos_embedding_style,
        double rope_theta,
        String layer_normalization_style,
        String norm_order_style,
        String final_norm_order_style,
        boolean enable_qk_layernorm,
        boolean mha_qkv_weight_normalization,
        boolean mha_output_weight_normalization,
        boolean mha_output_proj_bias,
        Double scale_residual,
        String attention_output_init_fn,
        ProjectionConfig pre_denoiser,
        ProjectionConfig post_denoiser,
        int timestep_embed_dim) {

    public static DenoiserConfig defaults() {
        return of(TransformerConfig.defaults().withPosEmbeddingStyle("none"), 1024);
    }

    /** A denoiser config from transformer settings (as the archs write it), with default projections. */
    public static DenoiserConfig of(TransformerConfig t, int timestepEmbedDim) {
        return new DenoiserConfig(t.num_layers(), t.num_attn_heads(), t.dropout_p(), t.final_dropout_p(), t.attention_dropout_p(),
                t.ffn_inner_dim(), t.use_swiglu(), t.ffn_inner_activation_name(), t.pos_embedding_style(), t.rope_theta(),
                t.layer_normalization_style(), t.norm_order_style(), t.final_norm_order_style(), t.enable_qk_layernorm(),
                t.mha_qkv_weight_normalization(), t.mha_output_weight_normalization(), t.mha_output_proj_bias(),
                t.scale_residual(), t.attention_output_init_fn(), ProjectionConfig.defaults(), ProjectionConfig.defaults(),
                timestepEmbedDim);
    }

    /** The transformer part. */
    public TransformerConfig transformer() {
        return new TransformerConfig(num_layers, num_attn_heads, dropout_p, final_dropout_p, attention_dropout_p, ffn_inner_dim,
                use_swiglu, ffn_inner_activation_name, pos_embedding_style, rope_theta, layer_normalization_style, norm_order_style,
                final_norm_order_style, enable_qk_layernorm, mha_qkv_weight_normalization, mha_output_weight_normalization,
                mha_output_proj_bias, scale_residual, attention_output_init_fn);
    }

    public void validate(String path, int modelDim) {
        transformer().validate(path);
        if (!"none".equals(pos_embedding_style)) {
            // every reference arch uses none; the reference builds a position encoder otherwise, lcm4j does not yet
            throw new LcmException(path + ".pos_embedding_style='" + pos_embedding_style + "' is not supported for the denoiser; use none (as every released arch)");
        }
        if (timestep_embed_dim != modelDim) {
            throw new LcmException(path + ".timestep_embed_dim=" + timestep_embed_dim + " must equal model_dim " + modelDim
                    + " (the reference asserts it); set both to the same value");
        }
    }
}
