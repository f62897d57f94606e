package dev.lcm4j.nn.schedulers;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.config.StepSamplingConfig;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.lcm4j.LcmException;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Draws the diffusion step of every training position and, optionally, weights the losses by step (the reference's
 * {@code StepsSampler}): uniform over 0..T-1, or Beta(a, b)-shaped weights {@code s^(a-1) (1-s)^(b-1)} over
 * s = (1..T)/T (the Beta function normalising them cancels out). Weighting {@code clamp_snr} (Min-SNR) scales each
 * position's loss by clamp(SNR(t), min, max), renormalised so the weights sum to the number of positions.
 */
public final class StepSampler {
    private final float[] probs;
    private final float[] gammaPerStep; // null: no weighting

    public StepSampler(StepSamplingConfig c, DdimScheduler scheduler) {
        int n = scheduler.config().num_diffusion_train_steps();
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            if (c.sampling() == StepSamplingConfig.Sampling.UNIFORM) {
                w[i] = 1;
            } else {
                double s = (i + 1.0) / n;
                w[i] = Math.pow(s, c.beta_a() - 1) * Math.pow(1 - s, c.beta_b() - 1);
            }
        }
        double sum = 0;
        for (double x : w) sum += x;
        if (!Double.isFinite(sum) || sum <= 0) {
            throw new LcmException("criterion.step_sampling: beta_a=" + c.beta_a() + ", beta_b=" + c.beta_b()
                    + " give non-finite step weights (beta_b < 1 puts infinite weight on the last step); use beta_b >= 1");
        }
        probs = new float[n];
        for (int i = 0; i < n; i++) probs[i] = (float) (w[i] / sum);
        if (c.weighting() == StepSamplingConfig.Weighting.CLAMP_SNR) {
            float[] snr = scheduler.snrs();
            gammaPerStep = new float[n];
            for (int i = 0; i < n; i++) gammaPerStep[i] = (float) Math.min(c.max_gamma(), Math.max(c.min_gamma(), snr[i]));
        } else {
            gammaPerStep = null;
        }
    }

    /** The sampling distribution over steps 0..T-1. */
    public float[] probabilities() {
        return probs.clone();
    }

    /** [rows, cols] int64 steps drawn with replacement from {@link #probabilities()} (the torch RNG). */
    public Tensor sample(long rows, long cols) {
        Tensor p = Tensors.floats(probs, probs.length);
        return multinomial(p, rows * cols, true, new GeneratorOptional()).view(rows, cols);
    }

    /** Per-position loss weights for the given steps (flat, [N]), or null when the weighting is "none". */
    public Tensor lossScales(Tensor steps) {
        if (gammaPerStep == null) return null;
        Tensor g = Tensors.floats(gammaPerStep, gammaPerStep.length).to(steps.device(), ScalarType.Float).index_select(0, steps);
        return g.div(g.sum()).mul(Tensors.scalar(steps.numel()));
    }
}
