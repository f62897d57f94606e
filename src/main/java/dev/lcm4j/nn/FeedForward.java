package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import org.bytedeco.pytorch.Tensor;
import dev.lcm4j.LcmException;
import java.util.Set;

/**
 * fairseq2's feed-forward networks. Standard: {@code output_proj(act(inner_proj(x)))}. GLU (SwiGLU):
 * {@code output_proj(silu(gate_proj(x)) * inner_proj(x))} with inner dim 256 * ceil(int(ffn * 2/3) / 256).
 * All projections have bias, PyTorch's default (kaiming-uniform) init.
 */
public final class FeedForward extends Module {
    private final Linear gateProj, innerProj, outputProj;
    private final String activation;

    public static long gluInnerDim(long ffnInnerDim) {
        long h = (long) (ffnInnerDim * (2.0 / 3.0));
        return 256 * ((h + 255) / 256);
    }

    public FeedForward(ParamFactory f, long modelDim, long ffnInnerDim, boolean swiglu, String activation) {
        if (swiglu) {
            long inner = gluInnerDim(ffnInnerDim);
            this.gateProj = registerModule("gate_proj", new Linear(f, modelDim, inner, true, InitFn.KAIMING_UNIFORM));
            this.innerProj = registerModule("inner_proj", new Linear(f, modelDim, inner, true, InitFn.KAIMING_UNIFORM));
            this.outputProj = registerModule("output_proj", new Linear(f, inner, modelDim, true, InitFn.KAIMING_UNIFORM));
            this.activation = "silu";
        } else {
            this.gateProj = null;
            this.innerProj = registerModule("inner_proj", new Linear(f, modelDim, ffnInnerDim, true, InitFn.KAIMING_UNIFORM));
            this.outputProj = registerModule("output_proj", new Linear(f, ffnInnerDim, modelDim, true, InitFn.KAIMING_UNIFORM));
            this.activation = activation;
            if (!Set.of("relu", "gelu", "silu").contains(activation)) {
                throw new LcmException("unknown ffn_inner_activation_name '" + activation + "'; use relu, gelu or silu");
            }
        }
    }

    public Tensor forward(Tensor x) {
        if (gateProj != null) return outputProj.forward(silu(gateProj.forward(x)).mul(innerProj.forward(x)));
        Tensor h = innerProj.forward(x);
        h = switch (activation) {
            case "gelu" -> gelu(h);
            case "silu" -> silu(h);
            default -> relu(h);
        };
        return outputProj.forward(h);
    }
}
