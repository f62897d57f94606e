package dev.lcm4j.models.twotower;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.nn.InitFn;
import dev.lcm4j.nn.Linear;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.PositionEncoder;
import dev.lcm4j.nn.TransformerDecoder;
import dev.lcm4j.nn.denoisers.CrossAttentionMask;
import dev.lcm4j.nn.denoisers.LcmDenoiser;
import dev.lcm4j.nn.schedulers.DdimScheduler;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.lcm4j.nn.AdaLnModulator;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.pytorch.global.torch;

/**
 * The two-tower diffusion LCM ({@code TwoTowerDiffusionLCModel}). Tower 1, the context encoder: frontend
 * (pre_linear, positions) then a causal transformer over the preceding concepts. Tower 2, the denoiser: turns a
 * noisy next concept into a clean one, conditioned on the diffusion step (AdaLN) and on the context through
 * cross-attention, where key 0 is a zero vector: a position that sees only key 0 is generated unconditionally
 * (classifier-free guidance). Everything runs in normalized space; the criterion and the samplers normalize.
 * Sub-modules {@code sonar_normalizer, encoder_frontend, context_encoder, denoiser}.
 */
public final class TwoTowerDiffusionLcm extends Lcm {
    private final TwoTowerDiffusionLcmConfig config;
    private final SonarNormalizer normalizer;
    private final EncoderFrontend encoderFrontend;
    private final TransformerDecoder contextEncoder;
    private final LcmDenoiser denoiser;
    private final DdimScheduler scheduler;
    private final AtomicBoolean guidanceWarned = new AtomicBoolean();

    /** @param normalizer required for training and inference; null only to count parameters */
    public TwoTowerDiffusionLcm(ParamFactory f, TwoTowerDiffusionLcmConfig c, SonarNormalizer normalizer) {
        this.config = c;
        this.normalizer = registerModule("sonar_normalizer", normalizer);
        this.encoderFrontend = registerModule("encoder_frontend", new EncoderFrontend(f, c));
        this.contextEncoder = registerModule("context_encoder", new TransformerDecoder(f, c.model_dim(), c.max_seq_len(), c.context_encoder()));
        this.denoiser = registerModule("denoiser", new LcmDenoiser(f, c.model_dim(), c.sonar_embed_dim(), c.denoiser()));
        this.scheduler = new DdimScheduler(c.noise_scheduler());
    }

    public TwoTowerDiffusionLcmConfig config() { return config; }

    public DdimScheduler scheduler() { return scheduler; }

    public LcmDenoiser denoiser() { return denoiser; }

    @Override public SonarNormalizer normalizer() { return normalizer; }

    @Override public String family() { return TwoTowerDiffusionLcmConfig.FAMILY; }

    @Override public Record configRecord() { return config; }

    @Override public int sonarEmbedDim() { return config.sonar_embed_dim(); }

    public int modelDim() { return config.model_dim(); }

    /** True the first time only: the sampler warns once per model about guidance on a model not trained for it. */
    public boolean guidanceWarningDue() {
        return guidanceWarned.compareAndSet(false, true);
    }

    /**
     * Context encoder: normalized concepts [B, T, C] -> [B, T, D]; position t has seen concepts 0..t. With a state
     * it continues after state.step() positions (KV cache) and advances the state.
     */
    public Tensor encode(Tensor normalizedSeqs, IncrementalState state) {
        long offset = state == null ? 0 : state.step();
        Tensor x = encoderFrontend.forward(normalizedSeqs, offset);   // [B,T,D]
        x = contextEncoder.forward(x, state);                         // [B,T,D]
        if (state != null) state.advance(normalizedSeqs.size(1));
        return x;
    }

    /** Denoiser: noisy [B, S, C], timesteps [B, S], context [B, L, D], mask over (zero vector, context) -> [B, S, C]. */
    public Tensor denoise(Tensor noisy, Tensor timesteps, Tensor context, Tensor allowed) {
        return denoiser.forward(noisy, timesteps, context, allowed);
    }

    /** The denoiser with precomputed AdaLN modulations ({@link #modulations}), broadcast over rows and positions. */
    public Tensor denoise(Tensor noisy, AdaLnModulator.Modulation[][] modulations, Tensor context, Tensor allowed) {
        return denoiser.forward(noisy, modulations, context, allowed);
    }

    /** The denoiser with precomputed modulations and cross-attention keys/values ({@link LcmDenoiser#prepareContext}). */
    public Tensor denoise(Tensor noisy, AdaLnModulator.Modulation[][] modulations, Tensor[][] preparedContext, Tensor allowed) {
        return denoiser.forward(noisy, modulations, preparedContext, allowed);
    }

    /** The denoiser's per-layer AdaLN modulations of timesteps [B, S]. */
    public AdaLnModulator.Modulation[][] modulations(Tensor timesteps) {
        return denoiser.modulations(timesteps);
    }

    /**
     * The training forward ({@code model(batch, noisy_batch, cf_guidance_prob)}): encode the clean, normalized
     * sequences, then denoise with the shifted causal cross-attention mask.
     *
     * @param context       [B, T, C] normalized clean concepts (source + target when supervised), right-padded
     * @param lengths       real length of each context row
     * @param sourceLengths supervised: source length of each row (targets follow it), else null
     * @param noisy         [B, S, C] noisy concepts: all T positions (unsupervised) or the targets only
     * @param timesteps     [B, S] their diffusion steps
     * @param cfGuidanceProb fraction of positions whose context is dropped (see {@link CrossAttentionMask})
     */
    public Tensor forward(Tensor context, long[] lengths, long[] sourceLengths, Tensor noisy, Tensor timesteps,
                          double cfGuidanceProb) {
        Tensor ctx = encode(context, null);
        Tensor allowed = CrossAttentionMask.training(noisy.size(1), ctx.size(1), lengths, sourceLengths, cfGuidanceProb, ctx.device());
        return denoise(noisy, timesteps, ctx, allowed);
    }

    /** {@code encoder_frontend}: pre_linear then learned/sine positions (learned init N(0, embedding_std = 1.0)). */
    static final class EncoderFrontend extends Module {
        private final Linear preLinear;
        private final PositionEncoder posEncoder;
        private final double dropout;

        EncoderFrontend(ParamFactory f, TwoTowerDiffusionLcmConfig c) {
            EncoderFrontendConfig fc = c.frontend();
            this.preLinear = registerModule("pre_linear", new Linear(f, c.sonar_embed_dim(), c.model_dim(), fc.pre_linear_bias(),
                    InitFn.parse(fc.pre_linear_init_fn())));
            this.posEncoder = registerModule("pos_encoder",
                    PositionEncoder.forStyle(f, c.context_encoder().pos_embedding_style(), c.model_dim(), c.max_seq_len(), fc.embedding_std()));
            this.dropout = fc.dropout_p();
        }

        Tensor forward(Tensor seqs, long offset) {
            Tensor x = preLinear.forward(seqs);
            if (posEncoder != null) x = posEncoder.forward(x, offset);
            if (training && dropout > 0) x = torch.dropout(x, dropout, true);
            return x;
        }
    }

    /** [B, S] long tensor filled with one timestep. */
    public Tensor timestepTensor(long rows, long positions, int t) {
        return full(new long[] {rows, positions}, Tensors.scalar(t), Tensors.opts(ScalarType.Long, device()));
    }
}
