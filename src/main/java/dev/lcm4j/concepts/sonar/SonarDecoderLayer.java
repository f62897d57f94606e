package dev.lcm4j.concepts.sonar;

import dev.lcm4j.nn.FeedForward;
import dev.lcm4j.nn.InitFn;
import dev.lcm4j.nn.KvCache;
import dev.lcm4j.nn.LayerNormStyle;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.MultiheadAttention;
import dev.lcm4j.nn.Norm;
import dev.lcm4j.nn.ParamFactory;
import org.bytedeco.pytorch.Tensor;

/**
 * fairseq2 StandardTransformerDecoderLayer, PRE norm: causal self-attention, encoder-decoder attention, ReLU FFN,
 * each as x + sublayer(LN(x)). SONAR's encoder output is one vector, so the encoder-decoder attention output does not
 * depend on the query: it is {@link #crossAttention} of the sentence vector, computed once per sentence, and
 * {@code encoder_decoder_attn_layer_norm} (which only feeds the query) has no effect. Its weights are still loaded.
 */
final class SonarDecoderLayer extends Module {
    private final Norm selfAttnLayerNorm, encoderDecoderAttnLayerNorm, ffnLayerNorm;
    private final MultiheadAttention selfAttn, encoderDecoderAttn;
    private final FeedForward ffn;

    SonarDecoderLayer(ParamFactory f, int dim, int heads, int ffnDim) {
        selfAttnLayerNorm = registerModule("self_attn_layer_norm", new Norm(f, dim, LayerNormStyle.STANDARD));
        selfAttn = registerModule("self_attn", new MultiheadAttention(f, dim, heads, true, InitFn.ZERO, null, 0.0));
        encoderDecoderAttnLayerNorm = registerModule("encoder_decoder_attn_layer_norm", new Norm(f, dim, LayerNormStyle.STANDARD));
        encoderDecoderAttn = registerModule("encoder_decoder_attn", new MultiheadAttention(f, dim, heads, true, InitFn.ZERO, null, 0.0));
        ffnLayerNorm = registerModule("ffn_layer_norm", new Norm(f, dim, LayerNormStyle.STANDARD));
        ffn = registerModule("ffn", new FeedForward(f, dim, ffnDim, false, "relu"));
    }

    /** The encoder-decoder attention output for sentence vectors emb [N, D] -> [N, 1, D]. */
    Tensor crossAttention(Tensor emb) {
        return encoderDecoderAttn.singleKey(emb).unsqueeze(1);
    }

    /** x: [N, S, D]; cross: [N, 1, D] from {@link #crossAttention}; cache null for a full causal pass. */
    Tensor forward(Tensor x, Tensor cross, KvCache cache) {
        x = x.add(selfAttn.forward(selfAttnLayerNorm.forward(x), cache));
        x = x.add(cross);
        return x.add(ffn.forward(ffnLayerNorm.forward(x)));
    }
}
