package dev.lcm4j.concepts.sonar;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.nn.KvCache;
import dev.lcm4j.nn.LayerNormStyle;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.Norm;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Devices;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * SONAR's text decoder (ConditionalTransformerDecoderModel): frontend, PRE-norm decoder layers that attend to the
 * sentence vector as a one-position encoder output, final {@code decoder.layer_norm}, and {@code final_proj} tied to
 * the embedding (no bias). Keys: {@code decoder_frontend.embed.weight}, {@code decoder.layers.N.*},
 * {@code decoder.layer_norm.*}; the checkpoint's {@code final_proj.weight} is the same tensor as the embedding.
 */
public final class SonarTextDecoder extends Module {
    private final SonarDecoderConfig config;
    private final SonarFrontend frontend;
    private final List<SonarDecoderLayer> layers = new ArrayList<>();
    private final Norm layerNorm;

    public SonarTextDecoder(ParamFactory f, SonarDecoderConfig c) {
        this.config = c;
        frontend = registerModule("decoder_frontend", new SonarFrontend(f, c.vocabSize(), c.modelDim(), c.maxSeqLen()));
        for (int i = 0; i < c.numLayers(); i++) {
            layers.add(registerModule("decoder.layers." + i, new SonarDecoderLayer(f, c.modelDim(), c.numHeads(), c.ffnInnerDim())));
        }
        layerNorm = registerModule("decoder.layer_norm", new Norm(f, c.modelDim(), LayerNormStyle.STANDARD));
        train(false);
    }

    /** The device of the weights (where token ids, vectors and reorder indices are moved). */
    public org.bytedeco.pytorch.Device device() {
        return frontend.embedWeight().device();
    }

    public SonarDecoderConfig config() {
        return config;
    }

    /** Teacher-forced logits: prefix [B, S] int64, emb [B, D] -> [B, S, V] (a full causal pass, no cache). */
    public Tensor logits(Tensor prefix, Tensor emb) {
        emb = Devices.to(emb, device());
        Tensor x = frontend.forward(prefix, 0);
        for (SonarDecoderLayer layer : layers) x = layer.forward(x, layer.crossAttention(emb), null);
        return project(x);
    }

    private Tensor project(Tensor x) {
        return linear(layerNorm.forward(x), frontend.embedWeight());
    }

    /** Incremental decoding state of N rows: per-layer KV caches, per-layer cross-attention vectors, position. */
    public final class State implements AutoCloseable {
        private final List<KvCache> caches = new ArrayList<>();
        private final Tensor[] cross = new Tensor[layers.size()];
        private long position;

        private State(Tensor emb) {
            emb = Devices.to(emb, device());
            for (int i = 0; i < layers.size(); i++) {
                caches.add(new KvCache());
                setCross(i, layers.get(i).crossAttention(emb));
            }
        }

        private void setCross(int i, Tensor t) {
            t.retainReference();   // outlives the caller's per-step PointerScope
            if (cross[i] != null) cross[i].releaseReference();
            cross[i] = t;
        }

        /** Keeps rows {@code index} (int64 [N']) in this order: beam reordering and dropping finished rows. */
        public void reorder(Tensor index) {
            index = Devices.to(index, device());
            for (KvCache c : caches) c.reorder(index);
            for (int i = 0; i < cross.length; i++) setCross(i, cross[i].index_select(0, index));
        }

        @Override
        public void close() {
            for (KvCache c : caches) c.clear();
            for (int i = 0; i < cross.length; i++) {
                if (cross[i] != null) cross[i].releaseReference();
                cross[i] = null;
            }
        }
    }

    /** A decoding state for sentence vectors emb [N, D]. */
    public State start(Tensor emb) {
        return new State(emb);
    }

    /** One step: tokens [N, 1] at the state's next position -> logits [N, V]. */
    public Tensor step(State state, Tensor tokens) {
        Tensor x = frontend.forward(tokens, state.position);
        for (int i = 0; i < layers.size(); i++) x = layers.get(i).forward(x, state.cross[i], state.caches.get(i));
        state.position += tokens.size(1);
        return project(x).squeeze(1);
    }
}
