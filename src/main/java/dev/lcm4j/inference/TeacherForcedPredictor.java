package dev.lcm4j.inference;

import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.baselcm.BaseLcm;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcm;
import dev.lcm4j.nn.denoisers.CrossAttentionMask;
import dev.lcm4j.models.EmbeddingsBatch;
import org.bytedeco.pytorch.Tensor;

/**
 * Next-concept predictions for every position of right-padded documents from their true prefixes: output position t
 * predicts concept t + 1. The MSE LCM: {@code predict_next_sentence}. The two-tower model (the reference's
 * {@code TwoTowerDiffusionLCMScorer} behaviour): the context is encoded once, then the T next concepts are sampled
 * in parallel, each latent cross-attending to the zero vector and context positions 0..t.
 */
public final class TeacherForcedPredictor {
    private final Lcm model;
    private final DiffusionSampler sampler;

    public TeacherForcedPredictor(Lcm model, DiffusionOptions diffusion) {
        this.model = model;
        this.sampler = model instanceof TwoTowerDiffusionLcm tt
                ? new DiffusionSampler(tt, diffusion == null ? DiffusionOptions.defaults() : diffusion) : null;
    }

    /** batch.seqs [B, T, C] -> [B, T, C] (denormalized; padded positions hold values to ignore). */
    public Tensor predict(EmbeddingsBatch batch) {
        model.train(false);
        if (model instanceof BaseLcm base) return base.predictNextSentence(batch.seqs(), false, 0, null);
        TwoTowerDiffusionLcm tt = (TwoTowerDiffusionLcm) model;
        Tensor ctx = tt.encode(tt.normalizer().normalize(batch.seqs()), null);    // [B,T,D]
        long t = ctx.size(1);
        Tensor allowed = CrossAttentionMask.nextPositions(t, t, batch.lengths(), ctx.device());
        return sampler.sample(ctx, allowed, sampler.initialLatents(ctx.size(0), t));
    }
}
