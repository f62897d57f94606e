package dev.lcm4j.concepts.sonar;

import dev.lcm4j.nn.FeedForward;
import dev.lcm4j.nn.InitFn;
import dev.lcm4j.nn.LayerNormStyle;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.MultiheadAttention;
import dev.lcm4j.nn.Norm;
import dev.lcm4j.nn.ParamFactory;
import org.bytedeco.pytorch.Tensor;

/** fairseq2 StandardTransformerEncoderLayer, PRE norm: x + attn(LN(x)), then x + ffn(LN(x)); ReLU FFN with biases. */
final class SonarEncoderLayer extends Module {
    private final Norm selfAttnLayerNorm, ffnLayerNorm;
    private final MultiheadAttention selfAttn;
    private final FeedForward ffn;

    SonarEncoderLayer(ParamFactory f, int dim, int heads, int ffnDim) {
        selfAttnLayerNorm = registerModule("self_attn_layer_norm", new Norm(f, dim, LayerNormStyle.STANDARD));
        selfAttn = registerModule("self_attn", new MultiheadAttention(f, dim, heads, true, InitFn.ZERO, null, 0.0));
        ffnLayerNorm = registerModule("ffn_layer_norm", new Norm(f, dim, LayerNormStyle.STANDARD));
        ffn = registerModule("ffn", new FeedForward(f, dim, ffnDim, false, "relu"));
    }

    /** x: [B, S, D]; keyAllowed [B, 1, 1, S] or null. */
    Tensor forward(Tensor x, Tensor keyAllowed) {
        x = x.add(selfAttn.forwardPadded(selfAttnLayerNorm.forward(x), keyAllowed));
        return x.add(ffn.forward(ffnLayerNorm.forward(x)));
    }
}
