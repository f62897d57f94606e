package dev.lcm4j.nn;

import dev.lcm4j.LcmException;
import java.util.Locale;

/** The reference's {@code layer_normalization_style}. */
public enum LayerNormStyle {
    /** fairseq2 StandardLayerNorm: affine weight and bias, eps 1e-5. */
    STANDARD,
    /** LayerNorm with weight only (no bias), computed in float32 whatever the input dtype, result cast back. */
    FP32,
    /** RMSNorm, weight only, computed in float32. */
    RMS,
    /** LayerNorm without affine parameters. */
    UNIT;

    public static LayerNormStyle parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new LcmException("unknown layer_normalization_style '" + s + "'; use standard, fp32, rms or unit");
        }
    }
}
