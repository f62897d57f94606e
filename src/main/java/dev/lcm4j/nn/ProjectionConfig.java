package dev.lcm4j.nn;

/**
 * The reference's {@code ProjectionConfig} (postnet): {@code fc} Linear with optional activation.
 *
 * @param dropout_p unused in forward (as in the reference)
 * @param linear_bias bias on {@code fc} (default true)
 * @param linear_init_fn init of {@code fc} (default kaiming_uniform)
 * @param weight_normalization not supported (default false)
 * @param layer_normalization_style unused (as in the reference)
 * @param activation_name null (identity), relu, gelu, silu, tanh
 */
public record ProjectionConfig(double dropout_p, boolean linear_bias, String linear_init_fn,
                               boolean weight_normalization, String layer_normalization_style, String activation_name) {
    public static ProjectionConfig defaults() {
        return new Builder().build();
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
        private double dropout_p = 0.0;
        private boolean linear_bias = true;
        private String linear_init_fn = "kaiming_uniform";
        private boolean weight_normalization = false;
        private String layer_normalization_style = "standard";
        private String activation_name = null;

        private Builder() {
        }

        private Builder(ProjectionConfig c) {
            this.dropout_p = c.dropout_p;
            this.linear_bias = c.linear_bias;
            this.linear_init_fn = c.linear_init_fn;
            this.weight_normalization = c.weight_normalization;
            this.layer_normalization_style = c.layer_normalization_style;
            this.activation_name = c.activation_name;
        }

        public Builder dropout_p(double v) {
            this.dropout_p = v;
            return this;
        }

        public Builder linear_bias(boolean v) {
            this.linear_bias = v;
            return this;
        }

        public Builder linear_init_fn(String v) {
            this.linear_init_fn = v;
            return this;
        }

        public Builder weight_normalization(boolean v) {
            this.weight_normalization = v;
            return this;
        }

        public Builder layer_normalization_style(String v) {
            this.layer_normalization_style = v;
            return this;
        }

        public Builder activation_name(String v) {
            this.activation_name = v;
            return this;
        }

        public ProjectionConfig build() {
            return new ProjectionConfig(dropout_p, linear_bias, linear_init_fn, weight_normalization, layer_normalization_style, activation_name);
        }
    }
}
