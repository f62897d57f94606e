package dev.lcm4j.nn.denoisers;

import dev.lcm4j.nn.AdaLnModulator;
import dev.lcm4j.nn.FeedForward;
import dev.lcm4j.nn.InitFn;
import dev.lcm4j.nn.LayerNormStyle;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.MultiheadAttention;
import dev.lcm4j.nn.Norm;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.TransformerConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One layer of the two-tower denoiser (the reference's {@code LCMDenoiserLayer}): three pre-norm sub-blocks, each
 * modulated by the timestep through AdaLN, {@code x = x + gate * drop(block(norm(x) * (1 + scale) + shift))}:
 * self-attention restricted to the position itself, cross-attention to the (zero-prefixed) context, FFN.
 * Sub-modules {@code self_attn_layer_norm, self_attn, cross_attention_layer_norm, cross_attention, ffn_layer_norm,
 * ffn, modulator}.
 */
public final class DenoiserLayer extends Module {
    private final Norm selfAttnNorm, crossAttnNorm, ffnNorm;
    private final MultiheadAttention selfAttn, crossAttn;
    private final FeedForward ffn;
    private final AdaLnModulator modulator;
    private final double dropout;

    public DenoiserLayer(ParamFactory f, long modelDim, TransformerConfig c) {
        LayerNormStyle ln = LayerNormStyle.parse(c.layer_normalization_style());
        InitFn outInit = InitFn.parse(c.attention_output_init_fn());
        this.selfAttnNorm = registerModule("self_attn_layer_norm", new Norm(f, modelDim, ln));
        this.selfAttn = registerModule("self_attn", new MultiheadAttention(f, modelDim, c.num_attn_heads(),
                c.mha_output_proj_bias(), outInit, null, c.attention_dropout_p()));
        this.crossAttnNorm = registerModule("cross_attention_layer_norm", new Norm(f, modelDim, ln));
        this.crossAttn = registerModule("cross_attention", new MultiheadAttention(f, modelDim, c.num_attn_heads(),
                c.mha_output_proj_bias(), outInit, null, c.attention_dropout_p()));
        this.ffnNorm = registerModule("ffn_layer_norm", new Norm(f, modelDim, ln));
        this.ffn = registerModule("ffn", new FeedForward(f, modelDim, c.ffn_inner_dim(), c.use_swiglu(), c.ffn_inner_activation_name()));
        this.modulator = registerModule("modulator", new AdaLnModulator(f, modelDim, modelDim));
        this.dropout = c.dropout_p();
    }

    /**
     * @param x       [B, S, D] latents
     * @param emb     [B, S, D] timestep embeddings
     * @param cond    [B, K, D] conditioning (zero vector then context)
     * @param allowed bool [B or 1, 1, S, K] cross-attention mask (true = attend), or null for every key
     */
    public Tensor forward(Tensor x, Tensor emb, Tensor cond, Tensor allowed) {
        return forward(x, modulations(emb), cond, allowed);
    }

    /** The layer's (self-attention, cross-attention, FFN) modulations of timestep embeddings [B, S, D]. */
    public AdaLnModulator.Modulation[] modulations(Tensor emb) {
        return modulator.forward(emb);
    }

    /** Modulations of distinct embeddings [U, D] gathered to [B, S, D] by {@code rowOf} (see AdaLnModulator). */
    public AdaLnModulator.Modulation[] modulations(Tensor distinctEmb, Tensor rowOf, long b, long s) {
        return modulator.forward(distinctEmb, rowOf, b, s);
    }

    /** {@link #forward(Tensor, Tensor, Tensor, Tensor)} with precomputed modulations (broadcastable to x). */
    public Tensor forward(Tensor x, AdaLnModulator.Modulation[] m, Tensor cond, Tensor allowed) {
        return forward(x, m, crossAttn.projectKeysValues(cond), allowed);
    }

    /** The cross-attention keys and values of a conditioning [B, K, D], for {@link #forward} with a fixed context. */
    public Tensor[] projectConditioning(Tensor cond) {
        return crossAttn.projectKeysValues(cond);
    }

    /** {@link #forward(Tensor, AdaLnModulator.Modulation[], Tensor, Tensor)} with projected conditioning. */
    public Tensor forward(Tensor x, AdaLnModulator.Modulation[] m, Tensor[] condKeysValues, Tensor allowed) {
        Tensor h = selfAttn.selfOnly(m[0].modulate(selfAttnNorm.forward(x)));
        x = x.add(m[0].gate().mul(drop(h)));
        h = crossAttn.forwardCross(m[1].modulate(crossAttnNorm.forward(x)), condKeysValues, allowed);
        x = x.add(m[1].gate().mul(drop(h)));
        h = ffn.forward(m[2].modulate(ffnNorm.forward(x)));
        return x.add(m[2].gate().mul(drop(h)));
    }

    private Tensor drop(Tensor t) {
        return training && dropout > 0 ? torch.dropout(t, dropout, true) : t;
    }
}
