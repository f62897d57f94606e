package dev.lcm4j.nn.schedulers;

import dev.lcm4j.LcmException;
import dev.lcm4j.torch.Tensors;
import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.ScalarOptional;

/**
 * DDIM noise scheduler of the two-tower diffusion LCM ({@code lcm/nn/schedulers/ddim.py}, after HF diffusers):
 * the beta schedule, zero-terminal-SNR rescaling, inference timesteps, the deterministic (eta = 0) or stochastic
 * reverse step, and the forward noising used in training.
 *
 * <p>Tables follow the reference's float32 arithmetic: the cosine and sigmoid betas are computed in double and stored
 * as float, the rescaling runs in float, and cumulative products accumulate in double per element as libtorch's CPU
 * {@code cumprod} does.
 *
 * <p>Inference timesteps, trailing spacing: the reference computes {@code arange(T, 0, -T/S, dtype=long)}, and libtorch
 * truncates the fractional stride to an integer, so S = 40 of T = 100 gives 50 steps (stride 2); its step then goes
 * from t to {@code t - T // S}. lcm4j gives exactly S steps (diffusers' float arange then round, e.g. 99, 97, 94, 91,
 * ... for S = 40) and steps from each timestep to the next one in the schedule; {@link #timesteps(int, boolean)} with
 * {@code referenceStride = true} reproduces the reference's schedule for comparisons. When S divides T both agree
 * (docs/quirks.md #5, #6).
 */
public final class DdimScheduler {
    private final DdimSchedulerConfig config;
    private final float[] betas;
    private final float[] alphasCumprod;
    private final float finalAlphaCumprod;

    public DdimScheduler(DdimSchedulerConfig config) {
        this.config = config;
        int n = config.num_diffusion_train_steps();
        float[] b = switch (config.beta_schedule()) {
            case "linear" -> linspace((float) config.beta_start(), (float) config.beta_end(), n);
            case "scaled_linear" -> {
                double e = config.scaled_linear_exponent();
                float[] l = linspace((float) Math.pow(config.beta_start(), 1 / e), (float) Math.pow(config.beta_end(), 1 / e), n);
                for (int i = 0; i < n; i++) l[i] = e == 2.0 ? l[i] * l[i] : (float) Math.pow(l[i], e);
                yield l;
            }
            case "squaredcos_cap_v2" -> betasForAlphaBar(n, t -> Math.pow(Math.cos((t + 0.008) / 1.008 * Math.PI / 2), 2));
            case "sigmoid" -> betasForAlphaBar(n, t -> {
                // the reference clamps a float32 tensor and takes the logit in float32, then the log and sigmoid in double
                float x = (float) Math.min(Math.max((float) t, 1e-32f), 1.0f); // 1 - 1e-32 is 1.0f
                double logit = Math.log((double) (x / (1f - x)));
                double z = config.sigmoid_schedule_beta() - config.sigmoid_schedule_alpha() * logit;
                return 1 / (1 + Math.exp(-z));
            });
            default -> throw new IllegalStateException(config.beta_schedule());
        };
        if (config.rescale_betas_zero_snr()) b = rescaleZeroTerminalSnr(b);
        this.betas = b;
        float[] alphas = new float[n];
        for (int i = 0; i < n; i++) alphas[i] = 1f - b[i];
        this.alphasCumprod = cumprod(alphas);
        this.finalAlphaCumprod = config.set_alpha_to_one() ? 1f : alphasCumprod[0];
    }

    public DdimSchedulerConfig config() {
        return config;
    }

    public float[] betas() {
        return betas.clone();
    }

    public float[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    /** alpha_bar / (1 - alpha_bar) per training step: signal-to-noise ratios (infinite-free: the last is 0). */
    public float[] snrs() {
        float[] s = new float[alphasCumprod.length];
        for (int i = 0; i < s.length; i++) s[i] = alphasCumprod[i] / (1f - alphasCumprod[i]);
        return s;
    }

    /** The S inference timesteps, in decreasing order (see the class comment for {@code referenceStride}). */
    public int[] timesteps(int steps, boolean referenceStride) {
        int tt = config.num_diffusion_train_steps();
        if (steps < 1 || steps > tt) {
            throw new LcmException("inference_timesteps must be between 1 and the model's " + tt + " training steps, got " + steps);
        }
        switch (config.timestep_spacing()) {
            case "linspace" -> {
                // torch.linspace(0, T-1, S, dtype=long): libtorch fills the second half from the end, values truncated
                int[] out = new int[steps];
                if (steps == 1) return out; // linspace of one point is its start, 0
                double step = (double) (tt - 1) / (steps - 1);
                for (int i = 0; i < steps; i++) {
                    double v = i < steps / 2 ? i * step : (tt - 1) - step * (steps - 1 - i);
                    out[steps - 1 - i] = (int) v;
                }
                return out;
            }
            case "leading" -> {
                int ratio = tt / steps;
                int n = (tt + ratio - 1) / ratio;
                int[] out = new int[n];
                for (int i = 0; i < n; i++) out[n - 1 - i] = i * ratio;
                return out;
            }
            default -> {
                double ratio = (double) tt / steps;
                if (referenceStride) {
                    long stride = (long) ratio; // the reference's int64 arange truncates the float stride
                    int n = (int) ((tt + stride - 1) / stride);
                    int[] out = new int[n];
                    for (int i = 0; i < n; i++) out[i] = (int) (tt - i * stride - 1);
                    return out;
                }
                int[] out = new int[steps];
                for (int i = 0; i < steps; i++) out[i] = (int) Math.rint(tt - i * ratio) - 1; // round half to even, as numpy/torch
                return out;
            }
        }
    }

    /** The timestep a step from {@code schedule[k]} lands on: the next scheduled one, or -1 after the last. */
    public static int previous(int[] schedule, int k) {
        return k + 1 < schedule.length ? schedule[k + 1] : -1;
    }

    /** The reference's previous timestep: {@code t - T // S} whatever the spacing. */
    public int referencePrevious(int t, int steps) {
        return t - config.num_diffusion_train_steps() / steps;
    }

    /** Result of a reverse step: x_{t_prev} and the predicted x0. */
    public record Step(Tensor prevSample, Tensor predOriginalSample) {
    }

    /**
     * One DDIM reverse step from timestep {@code t} to {@code prevT} (-1: the clean end).
     *
     * @param modelOutput    the model's prediction (x0, epsilon or v by {@code prediction_type})
     * @param sample         x_t
     * @param eta            0 for deterministic DDIM; > 0 adds {@code eta * sigma_t * noise}
     * @param noise          the variance noise when eta > 0 (the caller draws it from its seeded generator)
     * @param epsilonScaling divide the implied epsilon by this (Ning et al. 2023), or null
     */
    public Step step(Tensor modelOutput, int t, int prevT, Tensor sample, double eta, Tensor noise, Double epsilonScaling) {
        return step(modelOutput, t, prevT, sample, eta, noise, epsilonScaling, config.prediction_type());
    }

    /** {@link #step} with the model output read as {@code predictionType} (CFG steps on a combined epsilon). */
    public Step step(Tensor modelOutput, int t, int prevT, Tensor sample, double eta, Tensor noise, Double epsilonScaling,
                     String predictionType) {
        if (t < 0 || t >= alphasCumprod.length) throw new LcmException("timestep " + t + " is outside 0.." + (alphasCumprod.length - 1));
        double aT = alphasCumprod[t];
        double aPrev = prevT >= 0 ? alphasCumprod[prevT] : finalAlphaCumprod;
        double bT = 1 - aT;
        Tensor x0;
        Tensor eps;
        switch (predictionType) {
            case "epsilon" -> {
                x0 = sample.sub(modelOutput.mul(Tensors.scalar(Math.sqrt(bT)))).div(Tensors.scalar(Math.sqrt(aT)));
                eps = modelOutput;
            }
            case "sample" -> {
                x0 = modelOutput;
                eps = sample.sub(x0.mul(Tensors.scalar(Math.sqrt(aT)))).div(Tensors.scalar(Math.sqrt(bT)));
            }
            default -> { // v_prediction
                x0 = sample.mul(Tensors.scalar(Math.sqrt(aT))).sub(modelOutput.mul(Tensors.scalar(Math.sqrt(bT))));
                eps = modelOutput.mul(Tensors.scalar(Math.sqrt(aT))).add(sample.mul(Tensors.scalar(Math.sqrt(bT))));
            }
        }
        if (epsilonScaling != null) eps = eps.div(Tensors.scalar(epsilonScaling));
        if (config.thresholding()) x0 = threshold(x0);
        else if (config.clip_sample()) x0 = x0.clamp(new ScalarOptional(Tensors.scalar(-config.clip_sample_range())),
                new ScalarOptional(Tensors.scalar(config.clip_sample_range())));
        double variance = ((1 - aPrev) / bT) * (1 - aT / aPrev);
        double std = eta * Math.sqrt(variance);
        Tensor prev = x0.mul(Tensors.scalar(Math.sqrt(aPrev))).add(eps.mul(Tensors.scalar(Math.sqrt(Math.max(0, 1 - aPrev - std * std)))));
        if (eta > 0) {
            if (noise == null) throw new IllegalArgumentException("eta > 0 needs variance noise");
            prev = prev.add(noise.mul(Tensors.scalar(std)));
        }
        return new Step(prev, x0);
    }

    /**
     * The noise implied by a model output at step t (the reference's {@code get_epsilon}): epsilon as is; from x0,
     * (x_t - sqrt(a_t) x0) / sqrt(1 - a_t); from v, sqrt(a_t) v + sqrt(1 - a_t) x_t.
     */
    public Tensor epsilon(Tensor modelOutput, Tensor sample, int t) {
        double aT = alphasCumprod[t], bT = 1 - aT;
        return switch (config.prediction_type()) {
            case "epsilon" -> modelOutput;
            case "sample" -> sample.sub(modelOutput.mul(Tensors.scalar(Math.sqrt(aT)))).div(Tensors.scalar(Math.sqrt(bT)));
            default -> modelOutput.mul(Tensors.scalar(Math.sqrt(aT))).add(sample.mul(Tensors.scalar(Math.sqrt(bT))));
        };
    }

    /** The v-prediction target sqrt(a_t) noise - sqrt(1 - a_t) x0 ({@code get_velocity}), t per row. */
    public Tensor velocity(Tensor x0, Tensor noise, long[] timesteps) {
        // add_noise computes sqrt(a) x0 + sqrt(1-a) n; the velocity is the same combination of (noise, -x0)
        return addNoise(noise, x0.neg(), timesteps);
    }

    /** Forward noising: sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise, with t per row ([B] for x0 [B, ..., D]). */
    public Tensor addNoise(Tensor x0, Tensor noise, long[] timesteps) {
        long[] shape = Tensors.shape(x0);
        float[] sa = new float[timesteps.length], sb = new float[timesteps.length];
        for (int i = 0; i < timesteps.length; i++) {
            float a = alphasCumprod[(int) timesteps[i]];
            sa[i] = (float) Math.sqrt(a);
            sb[i] = (float) Math.sqrt(1f - a);
        }
        long[] bshape = new long[shape.length];
        Arrays.fill(bshape, 1);
        bshape[0] = timesteps.length;
        Tensor ta = Tensors.floats(sa, bshape).to(x0.device(), x0.scalar_type());
        Tensor tb = Tensors.floats(sb, bshape).to(x0.device(), x0.scalar_type());
        return x0.mul(ta).add(noise.mul(tb));
    }

    /** Dynamic thresholding (Imagen): per row, s = clamp(quantile(|x0|, ratio), 1, max); x0 = clamp(x0, -s, s) / s. */
    private Tensor threshold(Tensor x0) {
        long[] shape = Tensors.shape(x0);
        Tensor flat = x0.reshape(shape[0], -1);
        float[] v = Tensors.toFloats(flat);
        int cols = (int) (v.length / shape[0]);
        float[] out = new float[v.length];
        for (int r = 0; r < shape[0]; r++) {
            double[] abs = new double[cols];
            for (int j = 0; j < cols; j++) abs[j] = Math.abs(v[r * cols + j]);
            Arrays.sort(abs);
            double pos = config.dynamic_thresholding_ratio() * (cols - 1); // torch.quantile's linear interpolation
            int lo = (int) Math.floor(pos);
            double q = abs[lo] + (pos - lo) * (abs[Math.min(lo + 1, cols - 1)] - abs[lo]);
            double s = Math.min(Math.max(q, 1.0), config.sample_max_value());
            for (int j = 0; j < cols; j++) out[r * cols + j] = (float) (Math.max(-s, Math.min(s, v[r * cols + j])) / s);
        }
        return Tensors.floats(out, shape).to(x0.device(), x0.scalar_type());
    }

    // ---------------------------------------------------------------- tables

    interface AlphaBar {
        double at(double t);
    }

    private static float[] betasForAlphaBar(int n, AlphaBar f) {
        float[] b = new float[n];
        for (int i = 0; i < n; i++) b[i] = (float) Math.min(1 - f.at((double) (i + 1) / n) / f.at((double) i / n), 0.999);
        return b;
    }

    /** torch.linspace in float32 (within an ulp: libtorch's vectorised kernel may round differently). */
    private static float[] linspace(float start, float end, int n) {
        float[] out = new float[n];
        if (n == 1) {
            out[0] = start;
            return out;
        }
        float step = (end - start) / (n - 1);
        for (int i = 0; i < n; i++) out[i] = i < n / 2 ? start + step * i : end - step * (n - 1 - i);
        return out;
    }

    /** libtorch CPU cumprod on float32: accumulates in double, stores each prefix product as float. */
    static float[] cumprod(float[] x) {
        float[] out = new float[x.length];
        double acc = 1;
        for (int i = 0; i < x.length; i++) {
            acc *= x[i];
            out[i] = (float) acc;
        }
        return out;
    }

    /** Zero terminal SNR (Lin et al. 2023, Algorithm 1), in the reference's float32 tensor arithmetic. */
    static float[] rescaleZeroTerminalSnr(float[] betas) {
        int n = betas.length;
        float[] alphas = new float[n];
        for (int i = 0; i < n; i++) alphas[i] = 1f - betas[i];
        float[] s = cumprod(alphas);
        for (int i = 0; i < n; i++) s[i] = (float) Math.sqrt(s[i]);
        float s0 = s[0], sT = s[n - 1];
        float scale = s0 / (s0 - sT);
        float[] bar = new float[n];
        for (int i = 0; i < n; i++) {
            float v = (s[i] - sT) * scale;
            bar[i] = v * v;
        }
        float[] out = new float[n];
        out[0] = 1f - bar[0];
        for (int i = 1; i < n; i++) out[i] = 1f - bar[i] / bar[i - 1];
        return out;
    }
}
