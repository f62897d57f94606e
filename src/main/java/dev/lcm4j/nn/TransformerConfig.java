package dev.lcm4j.nn;

/**
 * The reference's {@code TransformerConfig} ({@code lcm/nn/transformer/factory.py}); field names are its YAML keys.
 *
 * @param num_layers number of decoder layers (default 2)
 * @param num_attn_heads attention heads (default 8)
 * @param dropout_p dropout on attention and FFN outputs before the residual add (default 0.1)
 * @param final_dropout_p dropout on the stack output after the final norm (default 0.1)
 * @param attention_dropout_p dropout inside scaled-dot-product attention (default 0.0)
 * @param ffn_inner_dim FFN hidden size; for SwiGLU scaled by 2/3 and rounded up to 256 (default 4096)
 * @param use_swiglu SwiGLU FFN instead of the standard one (default false)
 * @param ffn_inner_activation_name activation of the standard FFN (default relu)
 * @param pos_embedding_style learned | sine (added in the frontend), rope (in attention), none (default learned)
 * @param rope_theta RoPE base (default 10000)
 * @param layer_normalization_style standard | fp32 | rms | unit (default standard)
 * @param norm_order_style pre | post (default pre; only pre is implemented, as every released arch uses)
 * @param final_norm_order_style null (same as norm_order_style) or post (no final norm)
 * @param enable_qk_layernorm QK-LayerNorm (default false; not supported yet)
 * @param mha_output_proj_bias bias on the attention output projection (default false)
 * @param attention_output_init_fn init of the attention output projection (default xavier)
 */
public record TransformerConfig(
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
        String attention_output_init_fn) {

    public static TransformerConfig defaults() {
        return new TransformerConfig(2, 8, 0.1, 0.1, 0.0, 1024 * 4, false, "relu", "learned", 10_000.0, "standard",
                "pre", null, false, false, false, false, null, "xavier");
    }

    /** This config with another {@code pos_embedding_style}. */
    public TransformerConfig withPosEmbeddingStyle(String style) {
        return new TransformerConfig(num_layers, num_attn_heads, dropout_p, final_dropout_p, attention_dropout_p, ffn_inner_dim,
                use_swiglu, ffn_inner_activation_name, style, rope_theta, layer_normalization_style, norm_order_style,
                final_norm_order_style, enable_qk_layernorm, mha_qkv_weight_normalization, mha_output_weight_normalization,
                mha_output_proj_bias, scale_residual, attention_output_init_fn);
    }

    public void validate(String path) {
        if (!"pre".equals(norm_order_style)) {
            throw new dev.lcm4j.LcmException(path + ".norm_order_style=" + norm_order_style
                    + " is not supported by lcm4j yet; every released arch uses 'pre'");
        }
        if (enable_qk_layernorm || mha_qkv_weight_normalization || mha_output_weight_normalization || scale_residual != null) {
            throw new dev.lcm4j.LcmException(path + ": enable_qk_layernorm, weight normalization and scale_residual are not"
                    + " supported by lcm4j yet; every released arch leaves them off");
        }
        if (!java.util.Set.of("learned", "sine", "rope", "none").contains(pos_embedding_style)) {
            throw new dev.lcm4j.LcmException(path + ".pos_embedding_style='" + pos_embedding_style + "'; use learned, sine, rope or none");
        }
        LayerNormStyle.parse(layer_normalization_style);
        if (num_layers < 1 || num_attn_heads < 1 || ffn_inner_dim < 1) {
            throw new dev.lcm4j.LcmException(path + ": num_layers, num_attn_heads and ffn_inner_dim must be positive");
        }
    }
}
