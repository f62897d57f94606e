package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.lcm4j.LcmException;

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
            throw new LcmException("model_dim " + modelDim + " is not divisible by num_attn_heads " + numHeads);
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
        Tensor rows = arange(Tensors.scalar(s), Tensors.opts(ScalarType.Long, like.device())).unsqueeze(1).add(Tensors.scalar(past));
        Tensor cols = arange(Tensors.scalar(past + s), Tensors.opts(ScalarType.Long, like.device())).unsqueeze(0);
        return cols.le(rows);
    }

    /**
     * softmax(q k^T / sqrt(d) masked) v, the definition SDPA implements (mask true = attend); matmuls in the input
     * dtype, softmax in float32 as PyTorch's math backend does for reduced precision.
     */
    static Tensor mathAttention(Tensor q, Tensor k, Tensor v, Tensor allowed, double dropoutP) {
        double scale = 1.0 / Math.sqrt(q.size(-1));
        ScalarType dt = q.scalar_type();
        Tensor scores = q.matmul(k.transpose(-2, -1)).to(ScalarType.Float).mul(Tensors.scalar(scale));
        if (allowed != null) scores = scores.masked_fill(allowed.logical_not(), Tensors.scalar(Double.NEGATIVE_INFINITY));
        Tensor w = softmax(scores, -1);
        if (dropoutP > 0) w = dropout(w, dropoutP, true);
        return w.to(dt).matmul(v);
    }

    /**
     * Bidirectional self-attention over a right-padded batch (SONAR's text encoder). x: [B, S, D]; keyAllowed:
     * [B, 1, 1, S] bool, true for real tokens, or null when no row is padded. Padded query rows produce values that
     * callers must ignore.
     */
    public Tensor forwardPadded(Tensor x, Tensor keyAllowed) {
        long b = x.size(0), s = x.size(1);
        Tensor q = qProj.forward(x).view(b, s, numHeads, headDim).transpose(1, 2);   // [B,H,S,K]
        Tensor k = kProj.forward(x).view(b, s, numHeads, headDim).transpose(1, 2);
        Tensor v = vProj.forward(x).view(b, s, numHeads, headDim).transpose(1, 2);
        Tensor attn = scaled_dot_product_attention(q, k, v,
                keyAllowed == null ? new TensorOptional() : new TensorOptional(keyAllowed), 0.0, false, new DoubleOptional(), false);
        return outputProj.forward(attn.transpose(1, 2).reshape(b, s, modelDim));      // [B,S,D]
    }

    /**
     * Attention whose keys/values are a single position (SONAR's decoder attends to one sentence vector): the
     * softmax over one key is 1 whatever the query, so the output is output_proj(v_proj(kv)) for every query.
     * kv: [B, D] -> [B, D]; q_proj and k_proj do not take part.
     */
    public Tensor singleKey(Tensor kv) {
        return outputProj.forward(vProj.forward(kv));
    }

    /**
     * Self-attention under the denoiser's {@code NoAttentionMask} (log(eye)): each position attends only to itself,
     * so the softmax weight is exactly 1 and the output is output_proj(v_proj(x)); q_proj and k_proj exist (the
     * reference builds them) but cannot change the result. Attention dropout, when training, drops whole
     * (position, head) values as SDPA's dropout on the single weight would. x: [B, S, D] -> [B, S, D].
     */
    public Tensor selfOnly(Tensor x) {
        Tensor v = vProj.forward(x);                                   // [B,S,D]
        if (training && attnDropout > 0) {
            long b = x.size(0), s = x.size(1);
            Tensor keep = dropout(ones(new long[] {b, s, numHeads, 1}, Tensors.opts(v.scalar_type(), v.device())), attnDropout, true);
            v = v.view(b, s, numHeads, headDim).mul(keep).reshape(b, s, modelDim);
        }
        return outputProj.forward(v);
    }

    /**
     * Cross-attention (the denoiser attending to the context): queries from x [B, S, D], keys and values from kv
     * [B, K, D], no positional encoding; allowed: bool [B or 1, 1, S, K] (true = attend) or null for all keys.
     * Every query row must allow at least one key.
     */
    public Tensor forwardCross(Tensor x, Tensor kv, Tensor allowed) {
        return forwardCross(x, projectKeysValues(kv), allowed);
    }

    /**
     * The keys and values of a cross-attention source [B, K, D] -> {[B, H, K, hd], [B, H, K, hd]}: a sampler that
     * attends to the same context at every diffusion step projects it once.
     */
    public Tensor[] projectKeysValues(Tensor kv) {
        long b = kv.size(0), k = kv.size(1);
        return new Tensor[] {kProj.forward(kv).view(b, k, numHeads, headDim).transpose(1, 2),
                vProj.forward(kv).view(b, k, numHeads, headDim).transpose(1, 2)};
    }

    /** {@link #forwardCross(Tensor, Tensor, Tensor)} on keys and values from {@link #projectKeysValues}. */
    public Tensor forwardCross(Tensor x, Tensor[] keysValues, Tensor allowed) {
        long b = x.size(0), s = x.size(1);
        Tensor q = qProj.forward(x).view(b, s, numHeads, headDim).transpose(1, 2);    // [B,H,S,hd]
        Tensor kk = keysValues[0], v = keysValues[1];                                  // [B,H,K,hd]
        double p = training ? attnDropout : 0.0;
        boolean reduced = q.scalar_type() != ScalarType.Float && q.scalar_type() != ScalarType.Double;
        Tensor attn;
        if (!q.is_cuda() && (reduced || headDim >= 128)) {
            attn = mathAttention(q, kk, v, allowed, p); // see forward(): libtorch's CPU kernel is slow here
        } else {
            attn = scaled_dot_product_attention(q, kk, v, allowed == null ? new TensorOptional() : new TensorOptional(allowed),
                    p, false, new DoubleOptional(), false);
        }
        return outputProj.forward(attn.transpose(1, 2).reshape(b, s, modelDim));   // [B,S,D]
    }

    /**
     * Self-attention under an explicit mask (no cache, no RoPE): x [B, S, D], allowed bool [B or 1, 1, S, S]
     * (true = attend; every query row must allow at least one key). The one-tower model's interleaved layout uses it.
     */
    public Tensor forwardMasked(Tensor x, Tensor allowed) {
        long b = x.size(0), s = x.size(1);
        Tensor[] qkv = headsOf(x);                                      // [B,H,S,hd] each
        return outputProj.forward(attend(qkv[0], qkv[1], qkv[2], allowed).transpose(1, 2).reshape(b, s, modelDim));
    }

    /**
     * Queries that read a KV cache without writing to it: each of the S queries x [B, S, D] attends to the P cached
     * positions ({@code ctxAllowed} bool [B or 1, 1, S, P], or null for all of them) and to its own key, not to the
     * other queries. {@code cache} null or empty: each query attends to itself alone. No RoPE (positions are the
     * caller's). Used to denoise a concept against the cached clean context.
     */
    public Tensor forwardAgainstCache(Tensor x, KvCache cache, Tensor ctxAllowed) {
        long b = x.size(0), s = x.size(1);
        Tensor[] qkv = headsOf(x);                                      // [B,H,S,hd] each
        Tensor self = s == 1 ? null : eye(s, Tensors.opts(ScalarType.Bool, x.device())).view(1, 1, s, s);
        Tensor k = qkv[1], v = qkv[2], allowed = self;
        if (cache != null && cache.length() > 0) {
            Tensor[] kv = cache.view();                                 // [B,H,P,hd]
            long p = kv[0].size(2);
            k = cat(new TensorVector(kv[0], k), 2);  // [B,H,P+S,hd]
            v = cat(new TensorVector(kv[1], v), 2);
            if (self != null || ctxAllowed != null) {
                Tensor ctx = ctxAllowed != null ? ctxAllowed : ones(new long[] {1, 1, s, p}, Tensors.opts(ScalarType.Bool, x.device()));
                Tensor own = self != null ? self : ones(new long[] {1, 1, 1, 1}, Tensors.opts(ScalarType.Bool, x.device()));
                long rows = Math.max(ctx.size(0), own.size(0));
                allowed = cat(new TensorVector(ctx.expand(rows, 1, s, p), own.expand(rows, 1, s, s)), 3);
            }
        }
        return outputProj.forward(attend(qkv[0], k, v, allowed).transpose(1, 2).reshape(b, s, modelDim));
    }

    private Tensor[] headsOf(Tensor x) {
        if (rope != null) throw new IllegalStateException("masked attention takes no RoPE: positions are added by the frontend");
        long b = x.size(0), s = x.size(1);
        return new Tensor[] {qProj.forward(x).view(b, s, numHeads, headDim).transpose(1, 2),
                kProj.forward(x).view(b, s, numHeads, headDim).transpose(1, 2),
                vProj.forward(x).view(b, s, numHeads, headDim).transpose(1, 2)};
    }

    /** Attention of [B,H,S,hd] queries on [B,H,K,hd] keys/values, with the same kernel choice as {@link #forward}. */
    private Tensor attend(Tensor q, Tensor k, Tensor v, Tensor allowed) {
        double p = training ? attnDropout : 0.0;
        boolean reduced = q.scalar_type() != ScalarType.Float && q.scalar_type() != ScalarType.Double;
        // on CPU an explicit mask also takes the plain formula: libtorch's fused kernel with a mask measured several
        // times slower over a one-tower training step (bench/README.md)
        if (!q.is_cuda() && (reduced || headDim >= 128 || allowed != null)) return mathAttention(q, k, v, allowed, p);
        return scaled_dot_product_attention(q, k, v, allowed == null ? new TensorOptional() : new TensorOptional(allowed),
                p, false, new DoubleOptional(), false);
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
        // Causal over the new positions; with a cache, query i (absolute past+i) sees keys 0..past+i.
        Tensor allowed = past > 0 && s > 1 ? causalMask(s, past, x) : null;
        boolean isCausal = past == 0 && s > 1;
        boolean cpu = !q.is_cuda();
        boolean reduced = q.scalar_type() != ScalarType.Float && q.scalar_type() != ScalarType.Double;
        Tensor attn;
        if (cpu && (reduced || headDim >= 128)) {
            // Measured on CPU (bench/README.md): libtorch 2.10's fused kernel is ~37x slower in bf16 than the plain
            // formula with bf16 matmuls and an fp32 softmax, and its fp32 backward is ~5x slower at head dim 128.
            if (isCausal) allowed = causalMask(s, 0, x);
            attn = mathAttention(q, k, v, allowed, p);
        } else {
            attn = scaled_dot_product_attention(q, k, v, allowed == null ? new TensorOptional() : new TensorOptional(allowed),
                    p, isCausal, new DoubleOptional(), false);
        }
        Tensor merged = attn.transpose(1, 2).reshape(b, s, modelDim); // [B,S,D]
        return outputProj.forward(merged);
    }
}
