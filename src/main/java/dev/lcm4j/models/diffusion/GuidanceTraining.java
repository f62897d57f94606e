package dev.lcm4j.models.diffusion;

import dev.lcm4j.LcmException;

/** The rule every diffusion family's training obeys: guidance training (p > 0) iff the model says it was trained with guidance. */
public final class GuidanceTraining {
    private GuidanceTraining() {}

    /** Training with guidance (p > 0) and the model's {@code trained_with_cf_guidance} must agree, as the reference asserts. */
    public static void check(double cfGuidanceProbability, boolean trainedWithGuidance) {
        if ((cfGuidanceProbability > 0) != trainedWithGuidance) {
            throw new LcmException("criterion.cf_guidance_probability=" + cfGuidanceProbability + " but the model's"
                    + " trained_with_cf_guidance is " + trainedWithGuidance + "; they must agree (as the reference asserts): "
                    + (trainedWithGuidance ? "set ++trainer.criterion.cf_guidance_probability=0.15"
                    : "set ++trainer.criterion.cf_guidance_probability=0 or model_arch_overrides={trained_with_cf_guidance: true}"));
        }
    }
}
