package dev.lcm4j.models.normalizer;

import dev.lcm4j.LcmException;
import java.util.Set;

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
        return new Builder().build();
    }

    public SonarNormalizerConfig withDim(int d) {
        return toBuilder().dim(d).build();
    }

    public void validate() {
        if (!Set.of("standard", "robust", "gaussian_robust").contains(normalization_method)) {
            throw new LcmException("unknown normalization_method '" + normalization_method
                    + "'; use standard, robust or gaussian_robust");
        }
        if (with_fft) throw new LcmException("with_fft normalizers are not supported by lcm4j yet; use with_fft: false");
        if (clip_proba != null && (clip_proba <= 0 || clip_proba >= 0.5)) {
            throw new LcmException("clip_proba must be in (0, 0.5), got " + clip_proba);
        }
    }

    /** The reference's named normalizer archs. */
    public static SonarNormalizerConfig arch(String name) {
        SonarNormalizerConfig d = defaults();
        return switch (name) {
            case "base" -> d;
            case "base_page4k" -> d.withDim(4096);
            case "clipping" -> d.toBuilder().clip_proba(1e-4).build();
            default -> throw new LcmException("unknown sonar_normalizer arch '" + name + "'; known: base, base_page4k, clipping");
        };
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
        private int dim = 1024;
        private Double clip_proba = null;
        private boolean with_fft = false;
        private double quantile_min = 0.25;
        private double quantile_max = 0.75;
        private String normalization_method = "gaussian_robust";

        private Builder() {
        }

        private Builder(SonarNormalizerConfig c) {
            this.dim = c.dim;
            this.clip_proba = c.clip_proba;
            this.with_fft = c.with_fft;
            this.quantile_min = c.quantile_min;
            this.quantile_max = c.quantile_max;
            this.normalization_method = c.normalization_method;
        }

        public Builder dim(int v) {
            this.dim = v;
            return this;
        }

        public Builder clip_proba(Double v) {
            this.clip_proba = v;
            return this;
        }

        public Builder with_fft(boolean v) {
            this.with_fft = v;
            return this;
        }

        public Builder quantile_min(double v) {
            this.quantile_min = v;
            return this;
        }

        public Builder quantile_max(double v) {
            this.quantile_max = v;
            return this;
        }

        public Builder normalization_method(String v) {
            this.normalization_method = v;
            return this;
        }

        public SonarNormalizerConfig build() {
            return new SonarNormalizerConfig(dim, clip_proba, with_fft, quantile_min, quantile_max, normalization_method);
        }
    }
}
