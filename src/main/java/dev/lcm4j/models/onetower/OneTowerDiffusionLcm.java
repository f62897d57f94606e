package dev.lcm4j.models.onetower;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.models.CleanStreamStep;
import dev.lcm4j.models.InterleavedMask;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.nn.InitFn;
import dev.lcm4j.nn.Linear;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.nn.PositionEncoder;
import dev.lcm4j.nn.Projection;
import dev.lcm4j.nn.TimestepEncoder;
import dev.lcm4j.nn.TransformerDecoder;
import dev.lcm4j.nn.schedulers.DdimScheduler;
import dev.lcm4j.torch.Tensors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The One-Tower diffusion LCM (paper §2.3.3): ONE causal transformer reads an interleaved sequence of noisy and clean
 * concepts, slot 2n the noisy x^t_n (query: predicts x0_n) and slot 2n+1 the clean x_n (context for later sentences).
 * Every input is {@code [normalize(x) ; temb(t)]} (the timestep embedding concatenated, t = 0 at clean slots) through
 * the PreNet {@code pre_linear}, plus the learned position of its sentence n (both copies share it). The attention
 * mask ({@link InterleavedMask}) lets a noisy slot see the earlier clean slots and itself only, so the clean stream is
 * an ordinary causal decoder over clean concepts and generation can cache its keys and values. The PostNet maps the
 * noisy slots' outputs back to concepts. Everything runs in normalized space; criterion and samplers normalize.
 * Sub-modules {@code sonar_normalizer, frontend (pre_linear, pos_encoder), embed_time, lcm, postnet}.
 */
public final class OneTowerDiffusionLcm extends Lcm implements CleanStreamStep.CleanStream {
    private final OneTowerDiffusionLcmConfig config;
    private final SonarNormalizer normalizer;
    private final Frontend frontend;
    private final TimestepEncoder embedTime;
    private final TransformerDecoder lcm;
    private final Projection postnet;
    private final DdimScheduler scheduler;
    private final AtomicBoolean guidanceWarned = new AtomicBoolean();

    /** @param normalizer required for training and inference; null only to count parameters */
    public OneTowerDiffusionLcm(ParamFactory f, OneTowerDiffusionLcmConfig c, SonarNormalizer normalizer) {
        this.config = c;
        this.normalizer = registerModule("sonar_normalizer", normalizer);
        this.frontend = registerModule("frontend", new Frontend(f, c));
        this.embedTime = registerModule("embed_time", new TimestepEncoder(f, c.timestep_embed_dim()));
        this.lcm = registerModule("lcm", new TransformerDecoder(f, c.model_dim(), c.max_seq_len(), c.lcm()));
        this.postnet = registerModule("postnet", new Projection(f, c.model_dim(), c.sonar_embed_dim(), c.postnet()));
        this.scheduler = new DdimScheduler(c.noise_scheduler());
    }

    public OneTowerDiffusionLcmConfig config() { return config; }

    public DdimScheduler scheduler() { return scheduler; }

    @Override public SonarNormalizer normalizer() { return normalizer; }

    @Override public String family() { return OneTowerDiffusionLcmConfig.FAMILY; }

    @Override public Record configRecord() { return config; }

    @Override public int sonarEmbedDim() { return config.sonar_embed_dim(); }

    /** True the first time only: the sampler warns once per model about guidance on a model not trained for it. */
    public boolean guidanceWarningDue() {
        return guidanceWarned.compareAndSet(false, true);
    }

    /** The timestep embedding temb(t): integer steps of any shape [...] -> [..., d_t]. */
    public Tensor timestepEmbedding(Tensor timesteps) {
        return embedTime.forward(timesteps);
    }

    /** temb of one step for every row and slot, [1, 1, d_t]. */
    public Tensor timestepEmbedding(int t) {
        return embedTime.forward(full(new long[] {1, 1}, Tensors.scalar(t), Tensors.opts(ScalarType.Long, device())));
    }

    /**
     * The training forward: the interleaved sequence of {@code noisy} and {@code clean} under {@code allowed}.
     *
     * @param clean     [B, N, C] normalized clean concepts (right-padded)
     * @param noisy     [B, N, C] their noised copies x^t_n
     * @param timesteps [B, N] the step t_n of every noisy copy
     * @param allowed   bool [B or 1, 1, 2N, 2N] ({@link InterleavedMask#training})
     * @return [B, N, C] the model output at the noisy slots (x0, or epsilon / v by the scheduler's prediction type)
     */
    public Tensor forward(Tensor clean, Tensor noisy, Tensor timesteps, Tensor allowed) {
        long b = clean.size(0), n = clean.size(1);
        Tensor hNoisy = frontend.forward(noisy, timestepEmbedding(timesteps), 0);          // [B,N,D]
        Tensor hClean = frontend.forward(clean, timestepEmbedding(0), 0);                   // [B,N,D]
        Tensor h = stack(new TensorVector(hNoisy, hClean), 2).view(b, 2 * n, -1);         // [B,2N,D]: noisy, clean, ...
        Tensor y = lcm.forwardMasked(h, allowed);                                          // [B,2N,D]
        return postnet.forward(y.view(b, n, 2, -1).select(2, 0));                          // [B,N,C]
    }

    /**
     * Runs clean concepts [B, S, C] (normalized) through the stack as the next S clean slots, after the
     * {@code state.step()} already cached: their keys and values join the state's caches (positions continue).
     */
    public void encodeClean(Tensor clean, IncrementalState state) {
        Tensor h = frontend.forward(clean, timestepEmbedding(0), state.step());
        lcm.forward(h, state);
        state.advance(clean.size(1));
    }

    /**
     * Denoises S latents per row against the cached clean context: latent i has position {@code position + i} and
     * attends to the cached clean slots that {@code ctxAllowed} [B or 1, 1, S, P] allows (null: all) and to itself.
     * {@code context} null: unconditional, each latent sees itself alone (classifier-free guidance's other half).
     *
     * @param latents [B, S, C] noisy concepts (normalized space)
     * @param temb    [B or 1, S or 1, d_t] their timestep embedding
     * @return [B, S, C] the model output
     */
    public Tensor denoise(Tensor latents, Tensor temb, long position, IncrementalState context, Tensor ctxAllowed) {
        Tensor h = frontend.forward(latents, temb, position);                               // [B,S,D]
        return postnet.forward(lcm.forwardAgainstCache(h, context, context == null ? null : ctxAllowed));
    }

    /** {@code frontend}: the PreNet {@code pre_linear} over {@code [x ; temb]}, then learned or sine positions. */
    static final class Frontend extends Module {
        private final Linear preLinear;
        private final PositionEncoder posEncoder;

        Frontend(ParamFactory f, OneTowerDiffusionLcmConfig c) {
            this.preLinear = registerModule("pre_linear", new Linear(f, c.sonar_embed_dim() + c.timestep_embed_dim(), c.model_dim(),
                    c.pre_linear_bias(), InitFn.KAIMING_UNIFORM));
            this.posEncoder = registerModule("pos_encoder",
                    PositionEncoder.forStyle(f, c.lcm().pos_embedding_style(), c.model_dim(), c.max_seq_len(), c.embedding_std()));
        }

        /** x [B, S, C], temb broadcastable to [B, S, d_t], positions offset..offset+S-1 -> [B, S, D]. */
        Tensor forward(Tensor x, Tensor temb, long offset) {
            Tensor t = temb.expand(x.size(0), x.size(1), temb.size(-1)).to(x.scalar_type());
            Tensor h = preLinear.forward(cat(new TensorVector(x, t), -1));
            return posEncoder == null ? h : posEncoder.forward(h, offset);
        }
    }
}
