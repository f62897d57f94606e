package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * DiT's timestep embedder (the reference's {@code DiTTimestepEncoder}): the raw integer diffusion step t (not
 * rescaled) becomes 256 sinusoid features {@code [cos(t f_i), sin(t f_i)]} - cosine half FIRST, unlike fairseq2's
 * position encoder - with {@code f_i = exp(-ln(10000) i / 128)}, then {@code fc2(silu(fc1(.)))}. Weights init
 * N(0, 0.02), biases zero. Parameters {@code fc1} [D, 256] and {@code fc2} [D, D]. The order is kept so that
 * checkpoints stay interchangeable with the reference (docs/quirks.md #3).
 */
public final class TimestepEncoder extends Module {
    public static final int FREQUENCY_DIM = 256;
    private final Linear fc1, fc2;
    private final long dim;

    public TimestepEncoder(ParamFactory f, long dim) {
        this.dim = dim;
        this.fc1 = registerModule("fc1", new Linear(f, FREQUENCY_DIM, dim, true, InitFn.NONE));
        this.fc2 = registerModule("fc2", new Linear(f, dim, dim, true, InitFn.NONE));
        if (!f.isMeta()) {
            try (NoGradGuard g = new NoGradGuard()) {
                for (Linear l : new Linear[] {fc1, fc2}) {
                    l.weight.normal_(0.0, 0.02, null);
                    l.bias.zero_();
                }
            }
        }
    }

    /**
     * The 256 sinusoid features of integer timesteps, computed in float32 with the reference's operation order
     * (freqs = exp(-ln(1e4) * arange(128) / 128); args = t * freqs). timesteps: any shape [...] -> [..., 256].
     */
    public static Tensor sinusoids(Tensor timesteps) {
        int half = FREQUENCY_DIM / 2;
        Tensor freqs = arange(Tensors.scalar(half), Tensors.opts(ScalarType.Float, timesteps.device()))
                .mul(Tensors.scalar(-Math.log(10000.0))).div(Tensors.scalar(half)).exp();          // [128]
        Tensor args = timesteps.to(ScalarType.Float).unsqueeze(-1).mul(freqs); // [..., 128]
        return cat(new TensorVector(args.cos(), args.sin()), -1);            // [..., 256]
    }

    /** timesteps: integers of any shape [...] -> [..., D]. */
    public Tensor forward(Tensor timesteps) {
        Tensor emb = sinusoids(timesteps).to(fc1.weight.scalar_type());
        return fc2.forward(silu(fc1.forward(emb)));
    }

    public long dim() {
        return dim;
    }
}
