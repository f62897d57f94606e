package dev.lcm4j.models.diffusion;

import static org.bytedeco.pytorch.global.torch.zeros_like;

import dev.lcm4j.models.Criterion.Loss;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.nn.schedulers.StepSampler;
import dev.lcm4j.torch.Tensors;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The reconstruction loss both diffusion families train with, once the model has denoised every target position:
 * the SUM over channels of the squared error in normalized space, in float32 (optionally its square root), summed
 * or averaged over the target positions, optionally weighted per diffusion step. Also the logged terms: the loss in
 * the raw space ({@code unnormalized_reconstruction_loss}) and, on request, its sums per tenth of the step range.
 *
 * @param computeRmse    take the square root (plus 1e-5) of each row's error
 * @param mean           average over the targets instead of summing
 * @param logBuckets     log {@code reconstruction_loss_t{lo}-{hi}} per tenth of the step range
 * @param numTrainSteps  the scheduler's number of training steps (the bucket edges)
 * @param stepSampler    the per-step loss weights ({@code lossScales}; null weights = 1)
 */
public record DiffusionLoss(boolean computeRmse, boolean mean, boolean logBuckets, int numTrainSteps, StepSampler stepSampler) {

    /**
     * @param predicted  the denoised prediction [B, S, C] (any float dtype)
     * @param target     the clean target [B, S, C], normalized
     * @param normalizer maps both back to the raw space for the logged term
     * @param mask       [B, S] true where a position is a target
     * @param timesteps  [B, S] the diffusion step of each position
     */
    public Loss of(Tensor predicted, Tensor target, SonarNormalizer normalizer, Tensor mask, Tensor timesteps) {
        Tensor pred = predicted.to(ScalarType.Float), tgt = target.to(ScalarType.Float);
        Tensor rowErr = rowSquaredError(pred, tgt);                               // [B,S]
        Tensor unnormErr;
        try (NoGradGuard g = new NoGradGuard()) {
            unnormErr = rowSquaredError(normalizer.denormalize(pred), normalizer.denormalize(tgt));
        }
        if (computeRmse) {
            rowErr = rowErr.add(Tensors.scalar(1e-5)).sqrt();
            unnormErr = unnormErr.add(Tensors.scalar(1e-5)).sqrt();
        }
        Tensor notMask = mask.logical_not();
        long numTargets = mask.sum().item_long();
        Map<String, Double> summands = new LinkedHashMap<>();
        summands.put("mse_loss", rowErr.detach().masked_fill(notMask, Tensors.scalar(0.0)).sum().item_double());
        summands.put("unnormalized_reconstruction_loss", unnormErr.masked_fill(notMask, Tensors.scalar(0.0)).sum().item_double());
        if (logBuckets) bucketLosses(rowErr.detach(), timesteps, mask, summands);
        Tensor scales = stepSampler.lossScales(timesteps.masked_select(mask));
        Tensor weighted = rowErr;
        if (scales != null) weighted = zeros_like(rowErr).masked_scatter(mask, scales).mul(rowErr);
        // select, not multiply: an Inf at a padded position must not turn the loss into NaN
        Tensor loss = weighted.masked_fill(notMask, Tensors.scalar(0.0)).sum();
        if (mean) loss = loss.div(Tensors.scalar(Math.max(1, numTargets)));
        return new Loss(loss, numTargets, summands);
    }

    private static Tensor rowSquaredError(Tensor a, Tensor b) {
        return a.sub(b).square().sum(new long[] {-1}, false, new ScalarTypeOptional());
    }

    /**
     * Loss sums per tenth of the step range, {@code reconstruction_loss_t{lo}-{hi}} for lo <= t < hi (the reference's
     * labels are off by one bucket; docs/quirks.md #19).
     */
    private void bucketLosses(Tensor rowErr, Tensor timesteps, Tensor mask, Map<String, Double> out) {
        float[] err = Tensors.toFloats(rowErr.masked_select(mask));
        long[] steps = Tensors.toLongs(timesteps.masked_select(mask));
        double[] sums = new double[10];
        for (int i = 0; i < err.length; i++) sums[(int) Math.min(9, steps[i] * 10 / numTrainSteps)] += err[i];
        for (int k = 0; k < 10; k++) {
            out.put(String.format("reconstruction_loss_t%d-%d", k * numTrainSteps / 10, (k + 1) * numTrainSteps / 10), sums[k]);
        }
    }
}
