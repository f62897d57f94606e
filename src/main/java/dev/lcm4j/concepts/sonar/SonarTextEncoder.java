package dev.lcm4j.concepts.sonar;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.nn.LayerNormStyle;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.Norm;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Devices;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Device;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;

/**
 * SONAR's text encoder (SonarTextTransformerEncoderModel, {@code pooling: mean}): frontend, PRE-norm layers (the
 * encoder stack itself is POST order, so it has no final norm of its own), the model's {@code layer_norm}, then the
 * mean over the real (non-pad) tokens, language token and {@code </s>} included, times 1 / (len + 1e-7).
 * State-dict keys are fairseq2's: {@code encoder_frontend.embed.weight}, {@code encoder.layers.N.*},
 * {@code layer_norm.*}.
 */
public final class SonarTextEncoder extends Module {
    private final SonarEncoderConfig config;
    private final SonarFrontend frontend;
    private final List<SonarEncoderLayer> layers = new ArrayList<>();
    private final Norm layerNorm;

    public SonarTextEncoder(ParamFactory f, SonarEncoderConfig c) {
        this.config = c;
        frontend = registerModule("encoder_frontend", new SonarFrontend(f, c.vocabSize(), c.modelDim(), c.maxTokens()));
        for (int i = 0; i < c.numLayers(); i++) {
            layers.add(registerModule("encoder.layers." + i, new SonarEncoderLayer(f, c.modelDim(), c.numHeads(), c.ffnInnerDim())));
        }
        layerNorm = registerModule("layer_norm", new Norm(f, c.modelDim(), LayerNormStyle.STANDARD));
        train(false);
    }

    /** Embedding row r (r < rows.length) becomes the current row rows[r]: maps other special-token orders to fairseq2's. */
    void permuteSpecialRows(long[] rows) {
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor w = frontend.embedWeight();
            Tensor picked = w.index_select(0, Devices.to(Tensors.longs(rows, rows.length), w.device())).clone();
            w.narrow(0, 0, rows.length).copy_(picked);
        }
    }

    public SonarEncoderConfig config() {
        return config;
    }

    /**
     * ids: [B, S] int64, right-padded (pad values are never attended to); lens: the real lengths (each at least 1).
     * Returns the sentence embeddings [B, D].
     */
    public Tensor forward(Tensor ids, long[] lens) {
        long b = ids.size(0), s = ids.size(1);
        boolean padded = false;
        for (long l : lens) padded |= l != s;
        Device device = frontend.embedWeight().device();   // the model's: ids and masks go there
        Tensor lensT = Devices.to(Tensors.longs(lens, b), device);
        Tensor real = arange(Tensors.scalar(s), Tensors.opts(ScalarType.Long, device)).unsqueeze(0).lt(lensT.unsqueeze(1)); // [B,S]
        Tensor keyAllowed = padded ? real.view(b, 1, 1, s) : null;
        Tensor x = frontend.forward(ids, 0);                                                        // [B,S,D]
        for (SonarEncoderLayer layer : layers) x = layer.forward(x, keyAllowed);
        x = layerNorm.forward(x);
        Tensor sum = x.mul(real.unsqueeze(2).to(x.scalar_type())).sum(new long[] {1}, false, new ScalarTypeOptional()); // [B,D]
        // SONAR: einsum("i...,i->i...", sum, 1 / (seq_lens + 1e-7)) -- a multiplication by the reciprocal.
        Tensor weights = lensT.to(x.scalar_type()).add(Tensors.scalar(1e-7)).reciprocal();
        return sum.mul(weights.unsqueeze(1));
    }
}
