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
        return new ProjectionConfig(0.0, true, "kaiming_uniform", false, "standard", null);
    }
}
