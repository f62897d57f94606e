package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import dev.lcm4j.torch.Tensors;

/**
 * Adaptive LayerNorm modulator of a denoiser layer: {@code fc(silu(timestep_embedding))} with {@code fc} a
 * zero-initialised Linear(D, 9D), so every new layer starts as the identity (gates 0). The 9D output is three groups
 * (self-attention, cross-attention, FFN), each {@code (shift, scale, gate)} in that order.
 */
public final class AdaLnModulator extends Module {
    /** The modulation of one sub-block: {@code x + gate * block(norm(x) * (1 + scale) + shift)}. */
    public record Modulation(Tensor shift, Tensor scale, Tensor gate) {
        public Tensor modulate(Tensor normed) {
            return normed.mul(scale.add(Tensors.scalar(1.0))).add(shift);
        }
    }

    private final Linear fc;

    public AdaLnModulator(ParamFactory f, long inputDim, long outputDim) {
        this.fc = registerModule("fc", new Linear(f, inputDim, 9 * outputDim, true, InitFn.ZERO));
    }

    /** emb: [B, S, D] -> {self-attention, cross-attention, FFN} modulations, each tensor [B, S, D]. */
    public Modulation[] forward(Tensor emb) {
        return split(fc.forward(silu(emb)));                 // [B,S,9D]
    }

    /**
     * Modulations of rows that repeat: {@code emb} [U, D] holds the distinct rows, {@code rowOf} [N] (long) picks one
     * for each of the N = B * S outputs. The U x 9D product is computed once and gathered, so its cost follows the
     * number of distinct diffusion steps (at most T), not the number of positions.
     */
    public Modulation[] forward(Tensor emb, Tensor rowOf, long b, long s) {
        Tensor u = fc.forward(silu(emb));                    // [U,9D]
        return split(u.index_select(0, rowOf).view(b, s, u.size(-1)));
    }

    private static Modulation[] split(Tensor all) {
        // one chunk into 9 (= 3 groups x (shift, scale, gate)): its backward is one concatenation, where 9 narrows
        // would each fill a full-size gradient. The vector hands out views it owns: copy the handles.
        TensorVector parts = all.chunk(9, -1);
        Tensor[] p = new Tensor[9];
        for (int i = 0; i < 9; i++) p[i] = new Tensor(parts.get(i));
        Modulation[] out = new Modulation[3];
        for (int g = 0; g < 3; g++) out[g] = new Modulation(p[3 * g], p[3 * g + 1], p[3 * g + 2]);
        return out;
    }
}
