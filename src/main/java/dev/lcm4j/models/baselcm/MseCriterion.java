package dev.lcm4j.models.baselcm;

import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.lcm4j.LcmException;
import org.bytedeco.pytorch.ScalarTypeOptional;

/**
 * The reference's MSE criteria: {@code next_sentence_mse} (ReconstructionCriterion, unsupervised: every position
 * after the first predicts the next) and {@code target_mse} (TargetMSECriterion, supervised: only target sentences,
 * the first one predicted from the last source position). Inputs are normalized first when the model has a
 * normalizer; the loss of a target row is the SUM over channels of squared errors (not the mean), computed in
 * float32; rows are summed ("sum") or averaged ("mean"). Kept from the reference: docs/quirks.md #18.
 */
public final class MseCriterion {
    public record Output(Tensor loss, long numTargets) {}

    private final boolean supervised;
    private final String reduction;
    private final boolean computeRmse;
    private final int minContextSize;

    public MseCriterion(String name, String reduction, boolean computeRmse) {
        this(name, reduction, computeRmse, 1);
    }

    /** @param minContextSize unsupervised: the first this-many positions are never targets (reference default 1) */
    public MseCriterion(String name, String reduction, boolean computeRmse, int minContextSize) {
        switch (name) {
            case "next_sentence_mse" -> supervised = false;
            case "target_mse" -> supervised = true;
            default -> throw new LcmException("criterion '" + name + "' does not apply to base_lcm; use next_sentence_mse or target_mse");
        }
        if (!reduction.equals("sum") && !reduction.equals("mean")) throw new LcmException("criterion.reduction must be sum or mean, got " + reduction);
        this.reduction = reduction;
        this.computeRmse = computeRmse;
        if (!supervised && minContextSize < 1) throw new LcmException("criterion.min_context_size must be >= 1, got " + minContextSize);
        this.minContextSize = minContextSize;
    }

    public boolean supervised() {
        return supervised;
    }

    public Output compute(BaseLcm model, EmbeddingsBatch batch) {
        SonarNormalizer n = model.normalizer();
        Tensor seqs = n == null ? batch.seqs() : n.normalize(batch.seqs());
        Tensor out = model.forward(seqs, null);                               // [B,T,D]
        long t = seqs.size(1);
        Tensor mask = batch.targetMask(supervised, minContextSize).narrow(1, 1, t - 1); // [B,T-1]
        Tensor target = seqs.narrow(1, 1, t - 1).to(ScalarType.Float);       // [B,T-1,D]
        Tensor pred = out.narrow(1, 0, t - 1).to(ScalarType.Float);
        Tensor rowErr = pred.sub(target).square().sum(new long[] {-1}, false, new ScalarTypeOptional()); // [B,T-1]
        if (computeRmse) rowErr = rowErr.add(Tensors.scalar(1e-5)).sqrt();
        long numTargets = mask.sum().item_long();
        // select, not multiply: an Inf at a padded position must not turn the batch's loss into NaN
        Tensor loss = rowErr.masked_fill(mask.logical_not(), Tensors.scalar(0.0)).sum();
        if (reduction.equals("mean")) loss = loss.div(Tensors.scalar(Math.max(1, numTargets)));
        return new Output(loss, numTargets);
    }
}
