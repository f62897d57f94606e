package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.lcm4j.LcmException;
import org.bytedeco.pytorch.global.torch;

/**
 * Rotary position encoding as fairseq2's RotaryEncoder: adjacent (interleaved) pairs (x[2i], x[2i+1]) rotated as
 * complex numbers by angle pos * theta^(-2i/E); the first position is 0, or the KV-cache offset when decoding.
 * Computed in float32 and cast back. No parameters.
 */
public final class RotaryEncoder {
    private final long encodingDim, maxSeqLen;
    private final Tensor cis; // complex64 [maxSeqLen, E/2] = e^{i pos * freq}

    public RotaryEncoder(long encodingDim, long maxSeqLen, double theta, ParamFactory f) {
        this(encodingDim, maxSeqLen, theta, f.isMeta(), f.device());
    }

    /** The table is computed on the CPU (bit-equal to fairseq2's float32 ops) and kept on {@code device}. */
    public RotaryEncoder(long encodingDim, long maxSeqLen, double theta, boolean meta, org.bytedeco.pytorch.Device device) {
        if (encodingDim % 2 != 0) throw new IllegalArgumentException("RoPE needs an even head dim, got " + encodingDim);
        this.encodingDim = encodingDim;
        this.maxSeqLen = maxSeqLen;
        if (meta) { cis = null; return; }
        // Same float32 ops as fairseq2 so the tables agree bit for bit: freqs = 1 / theta^(arange(0,E,2)/E).
        Tensor idx = arange(Tensors.scalar(0), Tensors.scalar(encodingDim), Tensors.scalar(2), Tensors.opts(ScalarType.Float, null));
        Tensor freqs = pow(Tensors.scalar(theta), idx.div(Tensors.scalar((double) encodingDim))).reciprocal();
        Tensor steps = arange(Tensors.scalar(maxSeqLen), Tensors.opts(ScalarType.Float, null));
        Tensor angles = outer(steps, freqs);
        cis = dev.lcm4j.torch.Devices.to(polar(torch.ones_like(angles), angles), device);
        cis.retainReference();
    }

    /** x: [B, S, H, E] (heads not yet moved forward); positions offset .. offset+S-1. */
    public Tensor forward(Tensor x, long offset) {
        long b = x.size(0), s = x.size(1), h = x.size(2);
        if (offset + s > maxSeqLen) {
            throw new LcmException("sequence of " + (offset + s) + " sentences exceeds the model's max_seq_len " + maxSeqLen);
        }
        ScalarType in = x.scalar_type();
        // pairs as complex numbers times e^{i angle}: 4 kernels forward and backward (an explicit re/im formula
        // with select/stack cost ~3x more in backward, measured in attention under bf16 autocast)
        Tensor pairs = view_as_complex(x.to(ScalarType.Float).reshape(b, s, h, encodingDim / 2, 2)); // [B,S,H,E/2]
        Tensor rotated = pairs.mul(cis.narrow(0, offset, s).unsqueeze(1));                           // [S,1,E/2]
        return view_as_real(rotated).reshape(b, s, h, encodingDim).to(in);
    }
}
