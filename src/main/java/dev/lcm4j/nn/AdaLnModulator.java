package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * Adaptive LayerNorm modulator of a denoiser layer: {@code fc(silu(timestep_embedding))} with {@code fc} a
 * zero-initialised Linear(D, 9D), so every new layer starts as the identity (gates 0). The 9D output is three groups
 * (self-attention, cross-attention, FFN), each {@code (shift, scale, gate)} in that order.
 */
public final class AdaLnModulator extends Module {
    /** The modulation of one sub-block: {@code x + gate * block(norm(x) * (1 + scale) + shift)}. */
    public record Modulation(Tensor shift, Tensor scale, Tensor gate) {
        public Tensor modulate(Tensor normed) {
            return normed.mul(scale.add(dev.lcm4j.torch.T.s(1.0))).add(shift);
        }
    }

    private final Linear fc;

    public AdaLnModulator(ParamFactory f, long inputDim, long outputDim) {
        this.fc = registerModule("fc", new Linear(f, inputDim, 9 * outputDim, true, InitFn.ZERO));
    }

    /** emb: [B, S, D] -> {self-attention, cross-attention, FFN} modulations, each tensor [B, S, D]. */
    public Modulation[] forward(Tensor emb) {
        TensorVector groups = fc.forward(silu(emb)).chunk(3, -1);
        Modulation[] out = new Modulation[3];
        for (int g = 0; g < 3; g++) {
            TensorVector p = groups.get(g).chunk(3, -1);
            out[g] = new Modulation(p.get(0), p.get(1), p.get(2));
        }
        return out;
    }
}
