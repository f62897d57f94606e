package dev.lcm4j.models.quantlcm;

import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.models.quant.ResidualQuantizer;
import dev.lcm4j.nn.IncrementalState;
import dev.lcm4j.torch.Noise;
import dev.lcm4j.torch.Tensors;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quant-LCM generation, coarse to fine (paper §2.3.5): z = 0; for k = 1..M the query (z, k) runs against the clean
 * context (and, with guidance, without it), a unit u of codebook k is chosen and z += C_k[u]. The output is z_M, the
 * dequantized concept (raw space).
 * <ul>
 *   <li>-d: logits l = l_u + g (l_c - l_u), divided by the temperature, the top_k kept, a unit sampled;</li>
 *   <li>-c: x = x_u + g (x_c - x_u) (normalized space, then denormalized), r = x - z, distances d_i = ||C_k[i] - r||
 *       (or squared), logits -d / temperature over the top_k nearest (Eq. 23 with beta = 1 / temperature).</li>
 * </ul>
 * top_k = 1 is the argmax (the nearest centroid). Sampling takes the argmax of logits plus Gumbel noise, the Gumbel
 * variates made from the step's N(0, 1) draws through the normal CDF (so per-row generators apply).
 */
public final class QuantLcmSampling {
    private static final Logger LOG = LoggerFactory.getLogger(QuantLcmSampling.class);

    private QuantLcmSampling() {}

    /**
     * Squared l2 distances of residuals [R, C] to every unit of codebook m (0-based): [R, K], in float32 even inside
     * autocast ({@link ResidualQuantizer#squaredDistances} with the model's cached codebook norms). A bf16 (or fp16)
     * matmul rounds r.c to ~2^-8 of |r||c|, more than the gap between the nearest centroids: the bf16 training step
     * would then take other units than the quantizer's greedy encode.
     */
    static Tensor squaredDistances(QuantLcm model, int m, Tensor residual) {
        boolean cpuAutocast = is_autocast_enabled(DeviceType.CPU), cudaAutocast = is_autocast_enabled(DeviceType.CUDA);
        set_autocast_enabled(DeviceType.CPU, false);
        set_autocast_enabled(DeviceType.CUDA, false);
        try {
            return model.quantizer().squaredDistances(m, residual);
        } finally {
            set_autocast_enabled(DeviceType.CPU, cpuAutocast);
            set_autocast_enabled(DeviceType.CUDA, cudaAutocast);
        }
    }

    /** Warns once when guidance is asked of a model trained without it (it still runs, as two-tower's sampler). */
    static void warnGuidance(QuantLcm model, QuantSamplingOptions o) {
        if (o.guidance_scale() != 1.0 && !model.config().trained_with_cf_guidance() && model.guidanceWarningDue()) {
            LOG.warn("guidance_scale={} on a model trained without classifier-free guidance (trained_with_cf_guidance=false);"
                    + " set guidance_scale=1 unless you mean it", o.guidance_scale());
        }
    }

    /**
     * The M codebook steps for S queries per row at positions {@code position..}, against the cached clean stream.
     *
     * @return [B, S, C] raw z_M
     */
    static Tensor generate(QuantLcm model, long rows, long s, long position, IncrementalState context, Tensor ctxAllowed,
                           QuantSamplingOptions o, Noise noise) {
        try (NoGradGuard g = new NoGradGuard()) {
            long c = model.sonarEmbedDim();
            Tensor z = zeros(new long[] {rows * s, c}, Tensors.opts(ScalarType.Float, model.codebooks().device()));  // [BS,C]
            for (int m = 0; m < model.numCodebooks(); m++) {
                Tensor zn = model.normalizer().normalize(z.view(rows, s, c));                     // [B,S,C]
                Tensor out = model.query(zn, m + 1, position, context, ctxAllowed);               // [B,S,K|C]
                if (o.guidance_scale() != 1.0) {
                    Tensor outU = model.query(zn, m + 1, position, null, null);
                    out = outU.add(out.sub(outU).mul(Tensors.scalar(o.guidance_scale())));
                }
                Tensor units = choose(model, m, out.reshape(rows * s, -1), z, o, noise, rows, s);  // [BS]
                z.add_(model.centroids(m, units));
            }
            return z.view(rows, s, c);
        }
    }

    /** The unit of codebook m for every query: out [BS, K] logits or [BS, C] normalized predictions, z [BS, C] raw. */
    static Tensor choose(QuantLcm model, int m, Tensor out, Tensor z, QuantSamplingOptions o, Noise noise, long rows, long s) {
        Tensor logits;
        if (model.discrete()) {
            logits = out.to(ScalarType.Float).div(Tensors.scalar(o.temperature()));
        } else {
            Tensor xhat = model.normalizer().denormalize(out.view(rows, s, -1)).reshape(rows * s, -1).to(ScalarType.Float);
            Tensor d = squaredDistances(model, m, xhat.sub(z));                                   // [BS,K]
            if (o.distance_power() == 1) d = d.sqrt();
            logits = d.neg().div(Tensors.scalar(o.temperature()));
        }
        if (o.top_k() == 1) return logits.argmax(new LongOptional(1), false);
        Tensor[] top = topK(logits, o.top_k());                                                    // values, indices [BS,k]
        Tensor normal = noise.randn(new long[] {rows, s * o.top_k()}, top[0]).reshape(rows * s, o.top_k());
        Tensor u = normal.div(Tensors.scalar(Math.sqrt(2))).erf().add(Tensors.scalar(1)).mul(Tensors.scalar(0.5))
                .clamp_min(Tensors.scalar(1e-12)).clamp_max(Tensors.scalar(1 - 1e-7));
        Tensor gumbel = u.log().neg().log().neg();
        Tensor pick = top[0].add(gumbel).argmax(new LongOptional(1), true);                         // [BS,1]
        return top[1].gather(1, pick).squeeze(1);
    }

    private static Tensor[] topK(Tensor logits, int k) {
        var t = logits.topk(k);
        return new Tensor[] {t.get0(), t.get1()};
    }
}
