package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.torch.T;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Causal multi-head self-attention (fairseq2 StandardMultiheadAttention as the reference configures it): q/k/v
 * projections with bias, optional RoPE on q and k after the head split, libtorch's scaled-dot-product attention
 * (scale 1/sqrt(head_dim)), output projection. Parameters {@code q_proj, k_proj, v_proj, output_proj}.
 */
public final class MultiheadAttention extends Module {
    private final long modelDim, numHeads, headDim;
    private final Linear qProj, kProj, vProj, outputProj;
    private final RotaryEncoder rope;
    private final double attnDropout;

    public MultiheadAttention(ParamFactory f, long modelDim, long numHeads, boolean outputBias, InitFn outputInit,
                              RotaryEncoder rope, double attnDropout) {
        if (modelDim % numHeads != 0) {
            throw new dev.lcm4j.LcmException("model_dim " + modelDim + " is not divisible by num_attn_heads " + numHeads);
        }
        this.modelDim = modelDim;
        this.numHeads = numHeads;
        this.headDim = modelDim / numHeads;
        // fairseq2 init_qkv_projection: xavier_uniform with gain 2^-0.5, zero bias.
        double qkvGain = Math.pow(2, -0.5);
        this.qProj = registerModule("q_proj", new Linear(f, modelDim, modelDim, true, InitFn.XAVIER, qkvGain));
        this.kProj = registerModule("k_proj", new Linear(f, modelDim, modelDim, true, InitFn.XAVIER, qkvGain));
        this.vProj = registerModule("v_proj", new Linear(f, modelDim, modelDim, true, InitFn.XAVIER, qkvGain));
        this.outputProj = registerModule("output_proj", new Linear(f, modelDim, modelDim, outputBias, outputInit));
        this.rope = rope;
        this.attnDropout = attnDropout;
    }

    /**
     * x: [B, S, D]. Without a cache the attention is causal over the S positions. With a cache holding P earlier
     * positions, query i (absolute position P+i) attends to keys 0..P+i.
     */
    public Tensor forward(Tensor x, KvCache cache) {
        long b = x.size(0), s = x.size(1);
        long past = cache == null ? 0 : cache.length();
        Tensor q = qProj.forward(x).view(b, s, numHeads, headDim);   // [B,S,H,K]
        Tensor k = kProj.forward(x).view(b, s, numHeads, headDim);
        Tensor v = vProj.forward(x).view(b, s, numHeads, headDim);
        if (rope != null) {
            q = rope.forward(q, past);
            k = rope.forward(k, past);
        }
        q = q.transpose(1, 2);                                          // [B,H,S,K]
        k = k.transpose(1, 2);
        v = v.transpose(1, 2);
        if (cache != null) {
            Tensor[] kv = cache.append(k, v);                           // [B,H,P+S,K]
            k = kv[0];
            v = kv[1];
        }
        double p = training ? attnDropout : 0.0;
        // libtorch 2.10's fused CPU attention is ~37x slower in bf16 than in fp32 (bench/README.md), so on CPU
        // reduced-precision inputs are attended in fp32 with autocast paused, and the result cast back.
        org.bytedeco.pytorch.global.torch.ScalarType inType = q.scalar_type();
        boolean upcast = inType != ScalarType.Float && inType != ScalarType.Double && !q.is_cuda();
        boolean autocastWasOn = false;
        if (upcast) {
            autocastWasOn = is_autocast_enabled(org.bytedeco.pytorch.global.torch.DeviceType.CPU);
            if (autocastWasOn) set_autocast_enabled(org.bytedeco.pytorch.global.torch.DeviceType.CPU, false);
            q = q.to(ScalarType.Float);
            k = k.to(ScalarType.Float);
            v = v.to(ScalarType.Float);
        }
        Tensor attn;
        if (past == 0) {
            attn = scaled_dot_product_attention(q, k, v, new TensorOptional(), p, s > 1, new DoubleOptional(), false);
        } else if (s == 1) {
            attn = scaled_dot_product_attention(q, k, v, new TensorOptional(), p, false, new DoubleOptional(), false);
        } else {
            // allowed[i, j] = j <= past + i
            Tensor rows = arange(T.s(s), T.opts(ScalarType.Long, x.device())).unsqueeze(1).add(T.s(past));
            Tensor cols = arange(T.s(past + s), T.opts(ScalarType.Long, x.device())).unsqueeze(0);
            Tensor allowed = cols.le(rows);
            attn = scaled_dot_product_attention(q, k, v, new TensorOptional(allowed), p, false, new DoubleOptional(), false);
        }
        if (upcast) {
            attn = attn.to(inType);
            if (autocastWasOn) set_autocast_enabled(org.bytedeco.pytorch.global.torch.DeviceType.CPU, true);
        }
        if (upcast) {
            attn = attn.to(inType);
            if (autocastWasOn) set_autocast_enabled(org.bytedeco.pytorch.global.torch.DeviceType.CPU, true);
        }
        Tensor merged = attn.transpose(1, 2).reshape(b, s, modelDim); // [B,S,D]
        return outputProj.forward(merged);
    }
}
