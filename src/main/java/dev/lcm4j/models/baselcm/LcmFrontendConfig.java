package dev.lcm4j.models.baselcm;

/**
 * The reference's {@code LCMFrontendConfig}.
 *
 * @param dropout_p dropout after the pre-linear and positions (default 0)
 * @param pre_linear_bias bias of {@code pre_linear} (default true)
 * @param pre_linear_init_fn init of {@code pre_linear} (default kaiming_uniform)
 * @param scale_embeddings multiply inputs by sqrt(model_dim) before pre_linear (default false)
 * @param weight_normalization not supported (default false)
 * @param embedding_std init std of learned positions (default 0.006, SONAR_STD)
 */
public record LcmFrontendConfig(double dropout_p, boolean pre_linear_bias, String pre_linear_init_fn,
                                boolean scale_embeddings, boolean weight_normalization, double embedding_std) {
    public static LcmFrontendConfig defaults() {
        return new LcmFrontendConfig(0.0, true, "kaiming_uniform", false, false, 0.006);
    }
}
