package dev.lcm4j.models.baselcm;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.nn.Projection;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.nn.InitFn;
import dev.lcm4j.nn.Linear;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.PositionEncoder;
import dev.lcm4j.nn.TransformerDecoder;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;
import dev.lcm4j.LcmException;
import dev.lcm4j.models.Lcm;
import org.bytedeco.pytorch.global.torch;

/**
 * The MSE Large Concept Model ({@code BaseLCModel}): frontend (pre_linear SONAR dim -> model dim, optional
 * positions) -> causal transformer decoder {@code lcm} -> {@code postnet} back to SONAR dim. Position t of the output
 * predicts concept t+1. Normalization is not part of {@link #forward}: the criterion and
 * {@link #predictNextSentence} apply it, as the reference does.
 */
public final class BaseLcm extends Lcm {
    private final BaseLcmConfig config;
    private final Frontend frontend;
    private final TransformerDecoder lcm;
    private final Projection postnet;

    public BaseLcm(ParamFactory f, BaseLcmConfig c, SonarNormalizer normalizer) {
        this.config = c;
        this.frontend = registerModule("frontend", new Frontend(f, c, normalizer));
        this.lcm = registerModule("lcm", new TransformerDecoder(f, c.model_dim(), c.max_seq_len(), c.lcm()));
        this.postnet = registerModule("postnet", new Projection(f, c.model_dim(), c.outputDim(), c.postnet()));
    }

    public BaseLcmConfig config() {
        return config;
    }

    @Override
    public SonarNormalizer normalizer() {
        return frontend.normalizer;
    }

    @Override
    public String family() {
        return BaseLcmConfig.FAMILY;
    }

    @Override
    public Record configRecord() {
        return config;
    }

    @Override
    public int sonarEmbedDim() {
        return config.sonar_embed_dim();
    }

    @Override
    public int outputDim() {
        return config.outputDim();
    }

    /** seqs: [B, T, sonar_dim] (right-padded) -> [B, T, out_dim]. With a state, continues after state.step(). */
    public Tensor forward(Tensor seqs, IncrementalState state) {
        long offset = state == null ? 0 : state.step();
        Tensor x = frontend.forward(seqs, offset);   // [B,T,D]
        x = lcm.forward(x, state);                   // [B,T,D]
        Tensor y = postnet.forward(x);               // [B,T,out]
        if (state != null) state.advance(seqs.size(1));
        return y;
    }

    /**
     * The reference's {@code predict_next_sentence}: normalize -> forward -> (optional N(0, temperature^2) noise in
     * normalized space when {@code sample}) -> denormalize. Returns a prediction for every position.
     */
    public Tensor predictNextSentence(Tensor seqs, boolean sample, double temperature, IncrementalState state) {
        SonarNormalizer n = frontend.normalizer;
        Tensor x = n == null ? seqs : n.normalize(seqs);
        Tensor y = forward(x, state);
        if (sample && temperature > 0) y = y.add(randn_like(y).mul(Tensors.scalar(temperature)));
        return n == null ? y : n.denormalize(y);
    }

    /**
     * {@link #predictNextSentence} of the last position only, [B, T, C] -> [B, C], its noise (when {@code noise} is
     * not null) drawn from {@code noise} for that position alone.
     */
    public Tensor predictLastSentence(Tensor seqs, Noise noise, double temperature, IncrementalState state) {
        SonarNormalizer n = frontend.normalizer;
        Tensor x = n == null ? seqs : n.normalize(seqs);
        Tensor y = forward(x, state);
        y = y.select(1, y.size(1) - 1);                                                  // [B, C]
        if (noise != null && temperature > 0) y = y.add(noise.randnLike(y).mul(Tensors.scalar(temperature)));
        return n == null ? y : n.denormalize(y);
    }

    /** {@code frontend}: pre_linear, learned/sine positions, dropout; holds the normalizer as a sub-module. */
    static final class Frontend extends Module {
        private final Linear preLinear;
        private final PositionEncoder posEncoder;
        private final SonarNormalizer normalizer;
        private final double scale, dropout;

        Frontend(ParamFactory f, BaseLcmConfig c, SonarNormalizer normalizer) {
            LcmFrontendConfig fc = c.frontend();
            if (fc.weight_normalization()) throw new LcmException("frontend.weight_normalization is not supported by lcm4j yet");
            this.preLinear = registerModule("pre_linear", new Linear(f, c.sonar_embed_dim(), c.model_dim(), fc.pre_linear_bias(),
                    InitFn.parse(fc.pre_linear_init_fn())));
            this.posEncoder = registerModule("pos_encoder",
                    PositionEncoder.forStyle(f, c.lcm().pos_embedding_style(), c.model_dim(), c.max_seq_len(), fc.embedding_std()));
            this.normalizer = registerModule("sonar_normalizer", normalizer);
            this.scale = fc.scale_embeddings() ? Math.sqrt(c.model_dim()) : 1.0;
            this.dropout = fc.dropout_p();
        }

        Tensor forward(Tensor seqs, long offset) {
            if (scale != 1.0) seqs = seqs.mul(Tensors.scalar(scale));
            Tensor x = preLinear.forward(seqs);
            if (posEncoder != null) x = posEncoder.forward(x, offset);
            if (training && dropout > 0) x = torch.dropout(x, dropout, true);
            return x;
        }
    }
}
