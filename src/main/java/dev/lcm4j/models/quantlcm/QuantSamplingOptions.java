package dev.lcm4j.models.quantlcm;

import dev.lcm4j.LcmException;

/**
 * How a Quant-LCM picks the unit of each codebook (paper §2.3.5, §2.4.1; docs/quant-lcm.md).
 *
 * @param guidance_scale classifier-free guidance g: {@code out_u + g (out_c - out_u)} on the logits (-d) or on the
 *                       predicted concept (-c); 1 = no guidance (one forward per codebook)
 * @param temperature    -d: the logits are divided by it; -c: Eq. 23's beta = 1 / temperature
 * @param top_k          sample among the k best units (-d: highest logits; -c: nearest centroids); 1 = greedy
 * @param distance_power -c only: the distance in Eq. 23 is ||c - r||^power, 1 (the paper's L2) or 2 (squared)
 */
public record QuantSamplingOptions(double guidance_scale, double temperature, int top_k, int distance_power) {
    /** The paper's multi-sentence generation settings (§2.4.1, Table 4). */
    public static final QuantSamplingOptions PAPER_D = new QuantSamplingOptions(1.0, 1.0, 3, 1);
    public static final QuantSamplingOptions PAPER_C = new QuantSamplingOptions(1.5, 0.005, 5, 1);

    public void validate(boolean discrete) {
        if (top_k < 1) throw new LcmException("top_k must be at least 1, got " + top_k);
        if (!(temperature > 0)) throw new LcmException("temperature must be > 0, got " + temperature + " (top_k=1 is greedy)");
        if (!Double.isFinite(guidance_scale)) throw new LcmException("guidance_scale must be finite, got " + guidance_scale);
        if (distance_power != 1 && distance_power != 2) throw new LcmException("distance_power must be 1 or 2, got " + distance_power);
        if (discrete && distance_power != 1) {
            throw new LcmException("distance_power applies to quant_lcm_c only (a quant_lcm_d samples from its logits); remove it");
        }
    }

    /** top_k against the model's K units per codebook: one line when larger. */
    public void checkAgainst(QuantLcm model) {
        if (top_k > model.numUnits()) {
            throw new LcmException("top_k=" + top_k + " exceeds the model's " + model.numUnits() + " units per codebook; use 1.." + model.numUnits());
        }
    }
}
