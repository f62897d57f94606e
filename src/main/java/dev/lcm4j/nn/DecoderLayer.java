package dev.lcm4j.nn;

import static org.bytedeco.pytorch.global.torch.*;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Pre-norm causal decoder layer (the reference's LCMStandardTransformerDecoderLayer):
 * x + drop(attn(norm(x))), then x + drop(ffn(norm(x))). Sub-modules {@code self_attn_layer_norm, self_attn,
 * ffn_layer_norm, ffn}.
 */
public final class DecoderLayer extends Module {
    private final Norm attnNorm, ffnNorm;
    private final MultiheadAttention selfAttn;
    private final FeedForward ffn;
    private final double dropout;

    public DecoderLayer(ParamFactory f, long modelDim, TransformerConfig c, RotaryEncoder rope) {
        LayerNormStyle ln = LayerNormStyle.parse(c.layer_normalization_style());
        this.attnNorm = registerModule("self_attn_layer_norm", new Norm(f, modelDim, ln));
        this.selfAttn = registerModule("self_attn", new MultiheadAttention(f, modelDim, c.num_attn_heads(),
                c.mha_output_proj_bias(), InitFn.parse(c.attention_output_init_fn()), rope, c.attention_dropout_p()));
        this.ffnNorm = registerModule("ffn_layer_norm", new Norm(f, modelDim, ln));
        this.ffn = registerModule("ffn", new FeedForward(f, modelDim, c.ffn_inner_dim(), c.use_swiglu(), c.ffn_inner_activation_name()));
        this.dropout = c.dropout_p();
    }

    public Tensor forward(Tensor x, KvCache cache) {
        Tensor h = selfAttn.forward(attnNorm.forward(x), cache);
        x = x.add(drop(h));
        h = ffn.forward(ffnNorm.forward(x));
        return x.add(drop(h));
    }

    /** The layer under an explicit self-attention mask ({@link MultiheadAttention#forwardMasked}). */
    public Tensor forwardMasked(Tensor x, Tensor allowed) {
        x = x.add(drop(selfAttn.forwardMasked(attnNorm.forward(x), allowed)));
        return x.add(drop(ffn.forward(ffnNorm.forward(x))));
    }

    /** The layer for queries that read {@code cache} without writing it ({@link MultiheadAttention#forwardAgainstCache}). */
    public Tensor forwardAgainstCache(Tensor x, KvCache cache, Tensor ctxAllowed) {
        x = x.add(drop(selfAttn.forwardAgainstCache(attnNorm.forward(x), cache, ctxAllowed)));
        return x.add(drop(ffn.forward(ffnNorm.forward(x))));
    }

    private Tensor drop(Tensor t) {
        return training && dropout > 0 ? torch.dropout(t, dropout, true) : t;
    }
}
