package dev.lcm4j.nn;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import dev.lcm4j.LcmException;
import java.util.Locale;

/**
 * Parameter initialisations of the reference ({@code lcm/nn/initialization.py}); names as in its configs.
 * Weights are [out, in] so fan_in = in.
 */
public enum InitFn {
    /** xavier_uniform weight, zero bias. */
    XAVIER,
    /** PyTorch's Linear default: kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in)); bias U(+-1/sqrt(fan_in)). */
    KAIMING_UNIFORM,
    /** U(-s, s) with s = 0.006 * sqrt(3 / input_dim), zero bias (the SONAR embedding scale). */
    SONAR,
    /** zero weight and bias. */
    ZERO,
    /** N(0, 1e-3) weight (truncation at +-2 is irrelevant at this std), zero bias. */
    TRUNC_NORMAL,
    /** No custom init: fairseq2's Linear then falls back to PyTorch's default, i.e. {@link #KAIMING_UNIFORM}. */
    NONE;

    public static final double SONAR_STD = 0.006;

    public static InitFn parse(String name) {
        if (name == null) return KAIMING_UNIFORM;
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new LcmException("unknown init function '" + name
                    + "'; use xavier, kaiming_uniform, sonar, zero, trunc_normal or none");
        }
    }

    /** Initialises a Linear's weight [out, in] and optional bias [out], in place, from the global torch RNG. */
    public void apply(Tensor weight, Tensor bias, double xavierGain) {
        long fanOut = weight.size(0), fanIn = weight.size(1);
        try (NoGradGuard g = new NoGradGuard()) {
            switch (this) {
                case XAVIER -> {
                    double b = xavierGain * Math.sqrt(6.0 / (fanIn + fanOut));
                    weight.uniform_(-b, b, null);
                    if (bias != null) bias.zero_();
                }
                case KAIMING_UNIFORM, NONE -> {
                    double b = 1.0 / Math.sqrt(fanIn);
                    weight.uniform_(-b, b, null);
                    if (bias != null) bias.uniform_(-b, b, null);
                }
                case SONAR -> {
                    double s = SONAR_STD * Math.sqrt(3.0 / fanIn);
                    weight.uniform_(-s, s, null);
                    if (bias != null) bias.zero_();
                }
                case ZERO -> {
                    weight.zero_();
                    if (bias != null) bias.zero_();
                }
                case TRUNC_NORMAL -> {
                    weight.normal_(0.0, 1e-3, null);
                    if (bias != null) bias.zero_();
                }
            }
        }
    }
}
