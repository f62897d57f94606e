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
        return new EncoderFrontendConfig(0.0, true, "kaiming_uniform", false, 1.0);
    }
}
