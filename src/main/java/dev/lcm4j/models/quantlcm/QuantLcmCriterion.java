package dev.lcm4j.models.quantlcm;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.config.StepSamplingConfig;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.InterleavedMask;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.diffusion.GuidanceTraining;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.torch.Tensors;
import java.util.Map;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The Quant-LCM objectives (paper §2.3.5): {@code quant_lcm_d_next_sent} and {@code quant_lcm_c_next_sent}. Every
 * sentence n gets its own codebook index k_n ~ U{1..M} (drawn from torch's generator, which the trainer seeds); its
 * query input is z_{k_n - 1}, the sum of the first k_n - 1 centroids of its greedy RVQ codes. One forward pass over
 * the interleaved layout predicts every sentence.
 * <ul>
 *   <li>-d: cross-entropy of the K logits against u_{n, k_n}, the unit of codebook k_n of sentence n;</li>
 *   <li>-c: the squared error summed over channels between the prediction and x_n, in normalized space.</li>
 * </ul>
 * Targets are the real sentences from {@code min_context_size} on (the recipes set 0: sentence 0 is predicted from
 * nothing, as One-Tower trains it); sentences are summed ("sum") or averaged ("mean"); -c honours {@code compute_rmse}
 * (sqrt(sum + 1e-5) per sentence, as the MSE LCM). Guidance training drops whole query slots' context, as One-Tower.
 * The diffusion-only keys are refused by name.
 */
public final class QuantLcmCriterion implements Criterion {
    public static final String DISCRETE = "quant_lcm_d_next_sent";
    public static final String CONTINUOUS = "quant_lcm_c_next_sent";

    private final boolean mean;
    private final boolean rmse;
    private final int minContextSize;
    private final double cfGuidanceProb;

    public QuantLcmCriterion(CriterionConfig c, QuantLcm model) {
        String expected = model.discrete() ? DISCRETE : CONTINUOUS;
        if (!expected.equals(c.name())) {
            throw new LcmException("criterion '" + c.name() + "' does not apply to " + model.family() + "; use " + expected);
        }
        GuidanceTraining.check(c.cf_guidance_probability(), model.config().trained_with_cf_guidance());
        if (model.normalizer() == null) throw new LcmException("the Quant-LCM criterion needs the model's normalizer");
        if (c.log_losses_per_timestep_bucket()) {
            throw new LcmException("criterion.log_losses_per_timestep_bucket is a diffusion option; a Quant-LCM has no timesteps: set it false");
        }
        if (!c.step_sampling().equals(StepSamplingConfig.defaults())) {
            throw new LcmException("criterion.step_sampling is a diffusion option; a Quant-LCM draws codebook indices uniformly: remove it");
        }
        if (model.discrete() && c.compute_rmse()) {
            throw new LcmException("criterion.compute_rmse applies to regression criteria, not to " + DISCRETE
                    + "'s cross-entropy: set ++trainer.criterion.compute_rmse=false");
        }
        this.rmse = c.compute_rmse();
        this.minContextSize = c.min_context_size();
        this.mean = c.reduction() == CriterionConfig.Reduction.MEAN;
        this.cfGuidanceProb = c.cf_guidance_probability();
    }

    @Override
    public boolean supervised() {
        return false;
    }

    @Override
    public Loss loss(Lcm model, EmbeddingsBatch batch) {
        return compute((QuantLcm) model, batch, null);
    }

    /** Draws k_n ~ U{1..M} for [B, N] slots (CPU generator). */
    static Tensor drawIndices(long b, long n, int m) {
        return randint(1, m + 1, new long[] {b, n}, Tensors.opts(ScalarType.Long, null));
    }

    /** Greedy RVQ codes of raw concepts x [R, C] with the model's codebooks: [R, M]. */
    static Tensor codes(QuantLcm model, Tensor x) {
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor residual = x.to(ScalarType.Float).clone();                                      // [R,C]
            Tensor out = empty(new long[] {x.size(0), model.numCodebooks()}, Tensors.opts(ScalarType.Long, x.device()), null);
            for (int m = 0; m < model.numCodebooks(); m++) {
                Tensor units = QuantLcmSampling.squaredDistances(model, m, residual).argmin(new LongOptional(1), false); // [R]
                out.select(1, m).copy_(units);
                residual.sub_(model.centroids(m, units));
            }
            return out;
        }
    }

    /** z_{k-1} of every row: codes [R, M], k [R] in 1..M -> [R, C] raw, the centroids of codebooks 1..k-1 summed. */
    static Tensor partialSums(QuantLcm model, Tensor codes, Tensor k) {
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor z = zeros(new long[] {codes.size(0), model.sonarEmbedDim()}, Tensors.opts(ScalarType.Float, codes.device()));
            for (int m = 0; m < model.numCodebooks(); m++) {
                Tensor keep = k.gt(Tensors.scalar(m + 1)).to(ScalarType.Float).unsqueeze(1);            // codebook m+1 < k
                z.add_(model.centroids(m, codes.select(1, m)).mul(keep));
            }
            return z;
        }
    }

    /** @param indices [B, N] codebook indices k_n, or null to draw them */
    public Loss compute(QuantLcm model, EmbeddingsBatch batch, Tensor indices) {
        SonarNormalizer norm = model.normalizer();
        Tensor raw = batch.seqs();                                                                 // [B,N,C]
        long b = raw.size(0), n = raw.size(1), c = raw.size(2);
        Tensor x0 = norm.normalize(raw);                                                           // [B,N,C]
        Tensor mask = batch.targetMask(false, minContextSize);                                                  // [B,N]
        if (indices == null) indices = drawIndices(b, n, model.numCodebooks());
        indices = indices.to(raw.device(), ScalarType.Long);
        Tensor flat = raw.reshape(b * n, c);
        Tensor codes = codes(model, flat);                                                         // [BN,M]
        Tensor z = partialSums(model, codes, indices.reshape(-1)).view(b, n, c).to(raw.scalar_type()); // [B,N,C]
        Tensor allowed = InterleavedMask.training(n, null, null, cfGuidanceProb, raw.device());
        Tensor out = model.forward(x0, norm.normalize(z), indices, allowed);                      // [B,N,K|C]
        Tensor fm = mask.to(ScalarType.Float);
        long targets = mask.sum().item_long();
        Tensor perSentence;
        if (model.discrete()) {
            Tensor target = codes.gather(1, indices.reshape(-1, 1).sub(Tensors.scalar(1)).to(ScalarType.Long)).view(b, n, 1);  // u_{n,k_n}
            Tensor logp = log_softmax(out.to(ScalarType.Float), -1, new ScalarTypeOptional());
            perSentence = logp.gather(2, target).squeeze(2).neg();                                 // [B,N]
        } else {
            perSentence = out.to(ScalarType.Float).sub(x0.to(ScalarType.Float)).square().sum(new long[] {2}, false, new ScalarTypeOptional());
            if (rmse) perSentence = perSentence.add(Tensors.scalar(1e-5)).sqrt();         // as the MSE LCM's compute_rmse
        }
        Tensor sum = perSentence.mul(fm).sum();
        Tensor loss = mean ? sum.div(Tensors.scalar(Math.max(1, targets))) : sum;
        return new Loss(loss, targets, Map.of());
    }
}
