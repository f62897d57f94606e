package dev.lcm4j.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** y = x W^T + b. Parameters {@code weight} [out, in] and {@code bias} [out]. */
public final class Linear extends Module {
    public final long inDim, outDim;
    public final Tensor weight, bias;

    public Linear(ParamFactory f, long inDim, long outDim, boolean bias, InitFn init) {
        this(f, inDim, outDim, bias, init, 1.0);
    }

    public Linear(ParamFactory f, long inDim, long outDim, boolean bias, InitFn init, double xavierGain) {
        this.inDim = inDim;
        this.outDim = outDim;
        this.weight = registerParameter("weight", f.zeros(outDim, inDim));
        this.bias = bias ? registerParameter("bias", f.zeros(outDim)) : null;
        if (!f.isMeta()) init.apply(weight, this.bias, xavierGain);
    }

    public Tensor forward(Tensor x) {
        return bias == null
                ? torch.linear(x, weight)
                : torch.linear(x, weight, new TensorOptional(bias));
    }
}
