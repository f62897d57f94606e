package dev.lcm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.eval.metrics.StudentT;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --confidence_level}: Student-t intervals of each metric's mean, against closed forms and the reference's value. */
class ConfidenceIntervalTest {

    /** Degrees of freedom 1 and 2 have closed-form quantiles: tan(pi (p - 1/2)) and (2p - 1) / sqrt(2 p (1 - p)). */
    @Test
    void quantilesMatchTheClosedForms() {
        for (double p : new double[] {0.6, 0.9, 0.95, 0.975, 0.995, 0.05, 0.3}) {
            assertEquals(Math.tan(Math.PI * (p - 0.5)), StudentT.quantile(p, 1), 1e-9 * Math.max(1, Math.tan(Math.PI * Math.abs(p - 0.5))), "df 1, p " + p);
            assertEquals((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), StudentT.quantile(p, 2), 1e-9, "df 2, p " + p);
            assertEquals(0.5 + Math.atan(StudentT.quantile(p, 1)) / Math.PI, p, 1e-12);
        }
        // large df tends to the normal quantile 1.959963985 (a classical constant)
        assertEquals(1.959963985, StudentT.quantile(0.975, 1e9), 1e-6);
    }

    /** The reference's own test: the integers 0..99 at 0.95 give (43.743, 55.257); keys named as the reference names them. */
    @Test
    void theReferenceExampleAndKeys() {
        Results r = new Results();
        Results.Batch b = r.batch(0);
        for (int i = 0; i < 100; i++) b.add("score", i);
        b.add("constant", 1.0);
        b.add("constant", Double.NaN); // ignored, as in the mean
        Map<String, Double> m = r.metrics(0.95);
        assertEquals(List.of("score", "constant", "score_ci_lb_0.95", "score_ci_ub_0.95", "constant_ci_lb_0.95", "constant_ci_ub_0.95"),
                List.copyOf(m.keySet()));
        assertEquals(49.5, m.get("score"), 1e-12);
        assertEquals(43.743, m.get("score_ci_lb_0.95"), 5e-4);
        assertEquals(55.257, m.get("score_ci_ub_0.95"), 5e-4);
        // one value (after dropping the NaN): no interval
        assertTrue(Double.isNaN(m.get("constant_ci_lb_0.95")) && Double.isNaN(m.get("constant_ci_ub_0.95")));
        // no level, no interval keys
        assertEquals(List.of("score", "constant"), List.copyOf(r.metrics(null).keySet()));
    }

    /** The interval from several batches (as a sharded run merges them) is the one of all values together. */
    @Test
    void batchesPoolTheirValues() {
        Results r = new Results();
        double[] v = {2.0, 4.0, 4.0, 5.0, 7.0, 9.0};
        for (int i = 0; i < v.length; i++) r.batch(i).add("x", v[i]);
        Map<String, Double> m = r.metrics(0.9);
        // mean 31/6, sample variance 34.833.../5, t_{0.95, 5} = 2.015048373 (standard table)
        double mean = 31.0 / 6, s = Math.sqrt((Math.pow(2 - mean, 2) + 2 * Math.pow(4 - mean, 2) + Math.pow(5 - mean, 2)
                + Math.pow(7 - mean, 2) + Math.pow(9 - mean, 2)) / 5);
        double half = 2.015048373 * s / Math.sqrt(6);
        assertEquals(mean - half, m.get("x_ci_lb_0.9"), 1e-8);
        assertEquals(mean + half, m.get("x_ci_ub_0.9"), 1e-8);
    }
}
