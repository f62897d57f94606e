package dev.lcm4j.models.normalizer;

import java.util.Arrays;
import dev.lcm4j.LcmException;

/**
 * Fits normalizer statistics on an (N, D) sample, as the reference does through sklearn:
 * <ul>
 *   <li>standard: center = mean, scale = population std (ddof 0);</li>
 *   <li>robust: center = median, scale = P(q_max) - P(q_min);</li>
 *   <li>gaussian_robust: robust scale divided by Phi^-1(q_max/100) - Phi^-1(q_min/100) (sklearn unit_variance).</li>
 * </ul>
 * The reference's reading of quantile_range is kept on purpose so released normalizers are reproduced
 * (docs/quirks.md #9): sklearn reads
 * {@code quantile_range} in PERCENT, so the defaults (0.25, 0.75) are the 0.25th and 0.75th percentiles, not the
 * quartiles. Percentiles use numpy's linear interpolation; a zero range becomes 1 before the unit-variance division
 * (sklearn _handle_zeros_in_scale).
 * Clip bounds, when asked for, are the {@code clip_proba} and {@code 1 - clip_proba} quantiles of the normalized
 * sample (torch.quantile, also linear). A range or std below 10 float32 epsilons counts as zero.
 */
public final class NormalizerFit {
    private NormalizerFit() {}

    /** sklearn's _handle_zeros_in_scale threshold: 10 * machine epsilon of float32. */
    static final double ZERO_SCALE = 10 * Math.ulp(1.0f);

    public record Stats(float[] center, float[] scale, float[] clipMin, float[] clipMax) {}

    /** @param columns D arrays of N values each (one per embedding dimension); they are sorted in place. */
    public static Stats fit(float[][] columns, SonarNormalizerConfig cfg) {
        int d = columns.length;
        float[] center = new float[d], scale = new float[d];
        float[] clipMin = cfg.clip_proba() != null ? new float[d] : null, clipMax = clipMin != null ? new float[d] : null;
        String m = cfg.normalization_method();
        double gauss = m.equals("gaussian_robust")
                ? inverseNormalCdf(cfg.quantile_max() / 100.0) - inverseNormalCdf(cfg.quantile_min() / 100.0) : 1.0;
        for (int j = 0; j < d; j++) {
            float[] col = columns[j];
            int n = col.length;
            if (n == 0) throw new LcmException("cannot fit a normalizer on zero samples");
            double c, s;
            if (m.equals("standard")) {
                double sum = 0;
                for (float v : col) sum += v;
                double mean = sum / n, ss = 0;
                for (float v : col) ss += (v - mean) * (v - mean);
                c = mean;
                s = Math.sqrt(ss / n);
                if (s < ZERO_SCALE) s = 1.0;
            } else {
                float[] sorted = col.clone();
                Arrays.sort(sorted);
                c = percentile(sorted, 50.0);
                double iqr = percentile(sorted, cfg.quantile_max()) - percentile(sorted, cfg.quantile_min());
                // sklearn replaces a (near-)zero range by 1 BEFORE the unit-variance division
                if (iqr < ZERO_SCALE) iqr = 1.0;
                s = iqr / gauss;
            }
            center[j] = (float) c;
            scale[j] = (float) s;
            if (clipMin != null) {
                float[] normalized = new float[n];
                for (int i = 0; i < n; i++) normalized[i] = (float) ((col[i] - (float) c) / (float) s);
                Arrays.sort(normalized);
                clipMin[j] = (float) percentile(normalized, 100.0 * cfg.clip_proba());
                clipMax[j] = (float) percentile(normalized, 100.0 * (1.0 - cfg.clip_proba()));
            }
        }
        return new Stats(center, scale, clipMin, clipMax);
    }

    /** numpy.percentile with the default 'linear' method, on sorted data; q in [0, 100]. */
    public static double percentile(float[] sorted, double q) {
        int n = sorted.length;
        double pos = q / 100.0 * (n - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, n - 1);
        double frac = pos - lo;
        return sorted[lo] + (sorted[hi] - (double) sorted[lo]) * frac;
    }

    /** Phi^-1(p), the standard normal quantile (Acklam's algorithm refined by one Halley step; |error| < 1e-15). */
    public static double inverseNormalCdf(double p) {
        if (p <= 0 || p >= 1) throw new IllegalArgumentException("p must be in (0,1): " + p);
        double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
        double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};
        double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
        double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
        double x, q, r;
        if (p < 0.02425) {
            q = Math.sqrt(-2 * Math.log(p));
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        } else if (p <= 1 - 0.02425) {
            q = p - 0.5;
            r = q * q;
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        } else {
            q = Math.sqrt(-2 * Math.log(1 - p));
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        // one Halley refinement step against the exact CDF
        double e = 0.5 * erfc(-x / Math.sqrt(2)) - p;
        double u = e * Math.sqrt(2 * Math.PI) * Math.exp(x * x / 2);
        return x - u / (1 + x * u / 2);
    }

    /**
     * Complementary error function: Maclaurin series of erf for |x| < 3 (about 1e-14 absolute), Numerical Recipes'
     * Chebyshev fit (relative error < 1.2e-7) in the far tails.
     */
    static double erfc(double x) {
        if (Math.abs(x) < 3) {
            double sum = 0, term = x;
            for (int n = 0; n < 200; n++) {
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
                term *= -x * x / (n + 1);
            }
            return 1 - 2 / Math.sqrt(Math.PI) * sum;
        }
        return erfcTail(x);
    }

    private static double erfcTail(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2.0 - r;
    }
}
