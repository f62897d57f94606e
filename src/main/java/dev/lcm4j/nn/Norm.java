package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** LayerNorm / RMSNorm over the last dimension; parameters {@code weight} [d] and (LayerNorm) {@code bias} [d]. */
public final class Norm extends Module {
    public static final double EPS = 1e-5;
    private final LayerNormStyle style;
    private final long dim;
    private final Tensor weight, bias;

    public Norm(ParamFactory f, long dim, LayerNormStyle style) {
        this.style = style;
        this.dim = dim;
        boolean affine = style != LayerNormStyle.UNIT;
        this.weight = affine ? registerParameter("weight", f.ones(dim)) : null;
        // fairseq2 "fp32" (Float32LayerNorm as the reference builds it) has no bias; only "standard" has one.
        this.bias = style == LayerNormStyle.STANDARD ? registerParameter("bias", f.zeros(dim)) : null;
    }

    public Tensor forward(Tensor x) {
        long[] shape = {dim};
        switch (style) {
            case RMS: {
                // As fairseq2's RMSNorm: normalise in fp32, cast back to the input dtype, then scale by the weight.
                ScalarType in = x.scalar_type();
                Tensor xf = x.to(ScalarType.Float);
                Tensor y = rms_norm(xf, shape, new TensorOptional(), new DoubleOptional(EPS)).to(in);
                return y.mul(weight);
            }
            case FP32: {
                ScalarType in = x.scalar_type();
                Tensor y = layer_norm(x.to(ScalarType.Float), shape, new TensorOptional(weight.to(ScalarType.Float)),
                        new TensorOptional(), EPS, false);
                return y.to(in);
            }
            case UNIT:
                return layer_norm(x, shape, new TensorOptional(), new TensorOptional(), EPS, false);
            default:
                return layer_norm(x, shape, new TensorOptional(weight), new TensorOptional(bias), EPS, false);
        }
    }
}
