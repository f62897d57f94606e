package dev.lcm4j.nn;

import dev.lcm4j.torch.ActivationCheckpoint;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The reference's LCMTransformerDecoder: causal layers {@code layers.N}, a final {@code layer_norm} (pre-norm
 * order), then final dropout.
 */
public final class TransformerDecoder extends Module {
    private final DecoderLayer[] layers;
    private final Norm finalNorm;
    private final double finalDropout;

    public TransformerDecoder(ParamFactory f, long modelDim, long maxSeqLen, TransformerConfig c) {
        c.validate("lcm");
        RotaryEncoder rope = "rope".equals(c.pos_embedding_style())
                ? new RotaryEncoder(modelDim / c.num_attn_heads(), maxSeqLen, c.rope_theta(), f) : null;
        Container stack = registerModule("layers", new Container());
        layers = new DecoderLayer[c.num_layers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = stack.add(String.valueOf(i), new DecoderLayer(f, modelDim, c, rope));
        }
        boolean noFinalNorm = "post".equals(c.final_norm_order_style());
        finalNorm = noFinalNorm ? null : registerModule("layer_norm", new Norm(f, modelDim, LayerNormStyle.parse(c.layer_normalization_style())));
        finalDropout = c.final_dropout_p();
    }

    public Tensor forward(Tensor x, IncrementalState state) {
        boolean checkpoint = state == null && checkpointingLayers();
        for (int i = 0; i < layers.length; i++) {
            DecoderLayer layer = layers[i];
            x = checkpoint ? ActivationCheckpoint.run(in -> layer.forward(in[0], null), x)
                    : layer.forward(x, state == null ? null : state.cache(i));
        }
        return finish(x);
    }

    /** The stack under an explicit self-attention mask allowed [B or 1, 1, S, S] (true = attend), without a cache. */
    public Tensor forwardMasked(Tensor x, Tensor allowed) {
        boolean checkpoint = checkpointingLayers();
        for (DecoderLayer layer : layers) {
            x = checkpoint ? ActivationCheckpoint.run(in -> layer.forwardMasked(in[0], allowed), x) : layer.forwardMasked(x, allowed);
        }
        return finish(x);
    }

    /**
     * Queries x [B, S, D] through the stack, each layer's queries attending to that layer's cached keys/values in
     * {@code state} (masked by {@code ctxAllowed} [B or 1, 1, S, P], or all when null) and to their own key; the
     * state is read, not extended. {@code state} null: every query attends to itself alone.
     */
    public Tensor forwardAgainstCache(Tensor x, IncrementalState state, Tensor ctxAllowed) {
        for (int i = 0; i < layers.length; i++) x = layers[i].forwardAgainstCache(x, state == null ? null : state.cache(i), ctxAllowed);
        return finish(x);
    }

    private Tensor finish(Tensor x) {
        if (finalNorm != null) x = finalNorm.forward(x);
        if (training && finalDropout > 0) x = torch.dropout(x, finalDropout, true);
        return x;
    }

    @Override
    protected boolean supportsActivationCheckpointing() {
        return true;
    }

    /** A named list of sub-modules (torch.nn.ModuleList). */
    static final class Container extends Module {
        <M extends Module> M add(String name, M m) {
            return registerModule(name, m);
        }
    }
}
