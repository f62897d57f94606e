package dev.lcm4j.nn;

import dev.lcm4j.LcmException;
import java.util.Set;

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
        return new Builder().build();
    }

    public void validate(String path) {
        if (!"pre".equals(norm_order_style)) {
            throw new LcmException(path + ".norm_order_style=" + norm_order_style
                    + " is not supported by lcm4j yet; every released arch uses 'pre'");
        }
        if (enable_qk_layernorm || mha_qkv_weight_normalization || mha_output_weight_normalization || scale_residual != null) {
            throw new LcmException(path + ": enable_qk_layernorm, weight normalization and scale_residual are not"
                    + " supported by lcm4j yet; every released arch leaves them off");
        }
        if (!Set.of("learned", "sine", "rope", "none").contains(pos_embedding_style)) {
            throw new LcmException(path + ".pos_embedding_style='" + pos_embedding_style + "'; use learned, sine, rope or none");
        }
        LayerNormStyle.parse(layer_normalization_style);
        if (num_layers < 1 || num_attn_heads < 1 || ffn_inner_dim < 1) {
            throw new LcmException(path + ": num_layers, num_attn_heads and ffn_inner_dim must be positive");
        }
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
        private int num_layers = 2;
        private int num_attn_heads = 8;
        private double dropout_p = 0.1;
        private double final_dropout_p = 0.1;
        private double attention_dropout_p = 0.0;
        private int ffn_inner_dim = 1024 * 4;
        private boolean use_swiglu = false;
        private String ffn_inner_activation_name = "relu";
        private String pos_embedding_style = "learned";
        private double rope_theta = 10_000.0;
        private String layer_normalization_style = "standard";
        private String norm_order_style = "pre";
        private String final_norm_order_style = null;
        private boolean enable_qk_layernorm = false;
        private boolean mha_qkv_weight_normalization = false;
        private boolean mha_output_weight_normalization = false;
        private boolean mha_output_proj_bias = false;
        private Double scale_residual = null;
        private String attention_output_init_fn = "xavier";

        private Builder() {
        }

        private Builder(TransformerConfig c) {
            this.num_layers = c.num_layers;
            this.num_attn_heads = c.num_attn_heads;
            this.dropout_p = c.dropout_p;
            this.final_dropout_p = c.final_dropout_p;
            this.attention_dropout_p = c.attention_dropout_p;
            this.ffn_inner_dim = c.ffn_inner_dim;
            this.use_swiglu = c.use_swiglu;
            this.ffn_inner_activation_name = c.ffn_inner_activation_name;
            this.pos_embedding_style = c.pos_embedding_style;
            this.rope_theta = c.rope_theta;
            this.layer_normalization_style = c.layer_normalization_style;
            this.norm_order_style = c.norm_order_style;
            this.final_norm_order_style = c.final_norm_order_style;
            this.enable_qk_layernorm = c.enable_qk_layernorm;
            this.mha_qkv_weight_normalization = c.mha_qkv_weight_normalization;
            this.mha_output_weight_normalization = c.mha_output_weight_normalization;
            this.mha_output_proj_bias = c.mha_output_proj_bias;
            this.scale_residual = c.scale_residual;
            this.attention_output_init_fn = c.attention_output_init_fn;
        }

        public Builder num_layers(int v) {
            this.num_layers = v;
            return this;
        }

        public Builder num_attn_heads(int v) {
            this.num_attn_heads = v;
            return this;
        }

        public Builder dropout_p(double v) {
            this.dropout_p = v;
            return this;
        }

        public Builder final_dropout_p(double v) {
            this.final_dropout_p = v;
            return this;
        }

        public Builder attention_dropout_p(double v) {
            this.attention_dropout_p = v;
            return this;
        }

        public Builder ffn_inner_dim(int v) {
            this.ffn_inner_dim = v;
            return this;
        }

        public Builder use_swiglu(boolean v) {
            this.use_swiglu = v;
            return this;
        }

        public Builder ffn_inner_activation_name(String v) {
            this.ffn_inner_activation_name = v;
            return this;
        }

        public Builder pos_embedding_style(String v) {
            this.pos_embedding_style = v;
            return this;
        }

        public Builder rope_theta(double v) {
            this.rope_theta = v;
            return this;
        }

        public Builder layer_normalization_style(String v) {
            this.layer_normalization_style = v;
            return this;
        }

        public Builder norm_order_style(String v) {
            this.norm_order_style = v;
            return this;
        }

        public Builder final_norm_order_style(String v) {
            this.final_norm_order_style = v;
            return this;
        }

        public Builder enable_qk_layernorm(boolean v) {
            this.enable_qk_layernorm = v;
            return this;
        }

        public Builder mha_qkv_weight_normalization(boolean v) {
            this.mha_qkv_weight_normalization = v;
            return this;
        }

        public Builder mha_output_weight_normalization(boolean v) {
            this.mha_output_weight_normalization = v;
            return this;
        }

        public Builder mha_output_proj_bias(boolean v) {
            this.mha_output_proj_bias = v;
            return this;
        }

        public Builder scale_residual(Double v) {
            this.scale_residual = v;
            return this;
        }

        public Builder attention_output_init_fn(String v) {
            this.attention_output_init_fn = v;
            return this;
        }

        public TransformerConfig build() {
            return new TransformerConfig(num_layers, num_attn_heads, dropout_p, final_dropout_p, attention_dropout_p, ffn_inner_dim, use_swiglu, ffn_inner_activation_name, pos_embedding_style, rope_theta, layer_normalization_style, norm_order_style, final_norm_order_style, enable_qk_layernorm, mha_qkv_weight_normalization, mha_output_weight_normalization, mha_output_proj_bias, scale_residual, attention_output_init_fn);
        }
    }
}
