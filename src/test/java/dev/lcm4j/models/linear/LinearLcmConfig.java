package dev.lcm4j.models.linear;

/**
 * Config of the test-only family {@code linear_lcm}: the next concept is an affine map of the current one.
 *
 * @param model_type      always "linear_lcm"
 * @param sonar_embed_dim concept dimension
 * @param bias            whether the map has a bias
 */
public record LinearLcmConfig(String model_type, int sonar_embed_dim, boolean bias) {
    public static final String FAMILY = "linear_lcm";

    public static LinearLcmConfig defaults() {
        return new LinearLcmConfig(FAMILY, 16, true);
    }
}
