package dev.lcm4j.models.normalizer;

/**
 * The reference's {@code SonarNormalizerConfig}.
 *
 * @param dim embedding dimension (default 1024)
 * @param clip_proba if set, normalized values are clipped to their [p, 1-p] quantiles (bounds in normalized space)
 * @param with_fft normalize in the rfft domain (default false; not supported by lcm4j yet)
 * @param quantile_min lower quantile for robust scaling, in PERCENT as sklearn reads it (default 0.25, i.e. 0.25%)
 * @param quantile_max upper quantile for robust scaling, in percent (default 0.75)
 * @param normalization_method standard | robust | gaussian_robust (default gaussian_robust)
 */
public record SonarNormalizerConfig(int dim, Double clip_proba, boolean with_fft, double quantile_min,
                                    double quantile_max, String normalization_method) {
    public static SonarNormalizerConfig defaults() {
        return new SonarNormalizerConfig(1024, null, false, 0.25, 0.75, "gaussian_robust");
    }

    public SonarNormalizerConfig withDim(int d) {
        return new SonarNormalizerConfig(d, clip_proba, with_fft, quantile_min, quantile_max, normalization_method);
    }

    public void validate() {
        if (!java.util.Set.of("standard", "robust", "gaussian_robust").contains(normalization_method)) {
            throw new dev.lcm4j.LcmException("unknown normalization_method '" + normalization_method
                    + "'; use standard, robust or gaussian_robust");
        }
        if (with_fft) throw new dev.lcm4j.LcmException("with_fft normalizers are not supported by lcm4j yet; use with_fft: false");
        if (clip_proba != null && (clip_proba <= 0 || clip_proba >= 0.5)) {
            throw new dev.lcm4j.LcmException("clip_proba must be in (0, 0.5), got " + clip_proba);
        }
    }

    /** The reference's named normalizer archs. */
    public static SonarNormalizerConfig arch(String name) {
        SonarNormalizerConfig d = defaults();
        return switch (name) {
            case "base" -> d;
            case "base_page4k" -> d.withDim(4096);
            case "clipping" -> new SonarNormalizerConfig(1024, 1e-4, false, 0.25, 0.75, "gaussian_robust");
            default -> throw new dev.lcm4j.LcmException("unknown sonar_normalizer arch '" + name + "'; known: base, base_page4k, clipping");
        };
    }
}
