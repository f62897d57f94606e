package dev.lcm4j.concepts.sonar;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Devices;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * fairseq2's TransformerEmbeddingFrontend as SONAR builds it: {@code embed(ids) * sqrt(model_dim)} plus fixed
 * sinusoids, no embedding LayerNorm (dropout is off at inference). Parameter {@code embed.weight} [V, D].
 */
final class SonarFrontend extends Module {
    /** Holds {@code weight} so that its state-dict key is {@code embed.weight}. */
    static final class Embedding extends Module {
        final Tensor weight;

        Embedding(ParamFactory f, long vocab, long dim) {
            weight = registerParameter("weight", f.zeros(vocab, dim));
        }
    }

    private final Embedding embed;
    private final Tensor positions;   // [rows, D], not in the state dict (fairseq2: non-persistent buffer)
    private final double scale;

    SonarFrontend(ParamFactory f, long vocab, long dim, long rows) {
        this.embed = registerModule("embed", new Embedding(f, vocab, dim));
        this.scale = Math.sqrt(dim);
        this.positions = f.isMeta() ? f.zeros(rows, dim) : sinusoids(rows, dim).to(f.device(), ScalarType.Float); // computed on the CPU
        this.positions.retainReference();
    }

    Tensor embedWeight() {
        return embed.weight;
    }

    /**
     * fairseq2 v0.4.6 SinusoidalPositionEncoder with {@code _legacy_pad_idx=1}, computed the same way in float32:
     * row r is position r + 2; frequencies exp(i * -ln(10000) / (D/2 - 1)); all sines, then all cosines.
     */
    static Tensor sinusoids(long rows, long dim) {
        long half = dim / 2;
        long start = SonarEncoderConfig.LEGACY_PAD_IDX + 1;
        Tensor steps = arange(Tensors.scalar(start), Tensors.scalar(start + rows), Tensors.opts(ScalarType.Float, null));
        Tensor freqs = arange(Tensors.scalar(half), Tensors.opts(ScalarType.Float, null)).mul(Tensors.scalar(-Math.log(10000.0))).div(Tensors.scalar(half - 1)).exp();
        Tensor angles = outer(steps, freqs);                                   // [rows, D/2]
        return cat(new TensorVector(angles.sin(), angles.cos()), 1).contiguous(); // [rows, D]
    }

    /** ids: [B, S] int64 at positions offset..offset+S-1 -> [B, S, D]. */
    Tensor forward(Tensor ids, long offset) {
        long s = ids.size(1);
        if (offset + s > positions.size(0)) {
            throw new LcmException("a SONAR sequence of " + (offset + s) + " tokens exceeds the model's " + positions.size(0)
                    + " positions; shorten the input");
        }
        Tensor x = embedding(embed.weight, Devices.to(ids, embed.weight.device())).mul(Tensors.scalar(scale));
        return x.add(positions.narrow(0, offset, s));
    }
}
