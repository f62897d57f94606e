package dev.lcm4j.models.twotower;

/**
 * The reference's {@code EncoderFrontendConfig}: the context encoder's frontend (pre-linear SONAR dim -> model dim,
 * then positions when the context encoder uses learned or sine ones).
 *
 * @param dropout_p            dropout on the frontend output (default 0)
 * @param pre_linear_bias      bias of {@code pre_linear} (default true)
 * @param pre_linear_init_fn   init of {@code pre_linear} (default kaiming_uniform)
 * @param weight_normalization not supported (default false)
 * @param embedding_std        init std of learned positions: 1.0 here (the base LCM's frontend uses 0.006)
 */
public record EncoderFrontendConfig(double dropout_p, boolean pre_linear_bias, String pre_linear_init_fn,
                                    boolean weight_normalization, double embedding_std) {
    public static EncoderFrontendConfig defaults() {
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
        private boolean pre_linear_bias = true;
        private String pre_linear_init_fn = "kaiming_uniform";
        private boolean weight_normalization = false;
        private double embedding_std = 1.0;

        private Builder() {
        }

        private Builder(EncoderFrontendConfig c) {
            this.dropout_p = c.dropout_p;
            this.pre_linear_bias = c.pre_linear_bias;
            this.pre_linear_init_fn = c.pre_linear_init_fn;
            this.weight_normalization = c.weight_normalization;
            this.embedding_std = c.embedding_std;
        }

        public Builder dropout_p(double v) {
            this.dropout_p = v;
            return this;
        }

        public Builder pre_linear_bias(boolean v) {
            this.pre_linear_bias = v;
            return this;
        }

        public Builder pre_linear_init_fn(String v) {
            this.pre_linear_init_fn = v;
            return this;
        }

        public Builder weight_normalization(boolean v) {
            this.weight_normalization = v;
            return this;
        }

        public Builder embedding_std(double v) {
            this.embedding_std = v;
            return this;
        }

        public EncoderFrontendConfig build() {
            return new EncoderFrontendConfig(dropout_p, pre_linear_bias, pre_linear_init_fn, weight_normalization, embedding_std);
        }
    }
}
