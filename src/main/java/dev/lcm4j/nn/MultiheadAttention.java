package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.torch.T;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch.DeviceType;
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

    /** allowed[i, j] = j <= past + i, shape [S, past + S]. */
    private static Tensor causalMask(long s, long past, Tensor like) {
        Tensor rows = arange(T.s(s), T.opts(ScalarType.Long, like.device())).unsqueeze(1).add(T.s(past));
        Tensor cols = arange(T.s(past + s), T.opts(ScalarType.Long, like.device())).unsqueeze(0);
        return cols.le(rows);
    }

    /** softmax(q k^T / sqrt(d) masked) v, the definition SDPA implements; mask true = attend. */
    static Tensor mathAttention(Tensor q, Tensor k, Tensor v, Tensor allowed, double dropoutP) {
        double scale = 1.0 / Math.sqrt(q.size(-1));
        Tensor scores = q.matmul(k.transpose(-2, -1)).mul(T.s(scale));
        if (allowed != null) scores = scores.masked_fill(allowed.logical_not(), T.s(Double.NEGATIVE_INFINITY));
        Tensor w = softmax(scores, -1);
        if (dropoutP > 0) w = dropout(w, dropoutP, true);
        return w.matmul(v);
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
        ScalarType inType = q.scalar_type();
        boolean cpu = !q.is_cuda();
        boolean upcast = cpu && inType != ScalarType.Float && inType != ScalarType.Double;
        boolean autocastWasOn = false;
        if (upcast) {
            autocastWasOn = is_autocast_enabled(DeviceType.CPU);
            if (autocastWasOn) set_autocast_enabled(DeviceType.CPU, false);
            q = q.to(ScalarType.Float);
            k = k.to(ScalarType.Float);
            v = v.to(ScalarType.Float);
        }
        Tensor attn;
        try {
            // Causal over the new positions; with a cache, query i (absolute past+i) sees keys 0..past+i.
            Tensor allowed = past > 0 && s > 1 ? causalMask(s, past, x) : null;
            boolean isCausal = past == 0 && s > 1;
            if (cpu && headDim >= 128) {
                // The CPU flash kernel's backward is ~5x slower than the plain formula at head dim 128
                // (83 ms vs 16 ms for [8,8,128,128], measured), so compute softmax(q k^T / sqrt(d)) v directly.
                if (isCausal) allowed = causalMask(s, 0, x);
                attn = mathAttention(q, k, v, allowed, p);
            } else {
                attn = scaled_dot_product_attention(q, k, v, allowed == null ? new TensorOptional() : new TensorOptional(allowed),
                        p, isCausal, new DoubleOptional(), false);
            }
        } finally {
            if (autocastWasOn) set_autocast_enabled(DeviceType.CPU, true);
        }
        if (upcast) attn = attn.to(inType);
        Tensor merged = attn.transpose(1, 2).reshape(b, s, modelDim); // [B,S,D]
        return outputProj.forward(merged);
    }
}
