package dev.lcm4j.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link TaskRunner} collects for one run: every value of every metric (per sample or per position) and one
 * raw-results line per sample or document. Metrics keep the order they were first reported in, which is the order
 * of the keys in the results files.
 */
final class Results {
    private final Map<String, List<Double>> values = new LinkedHashMap<>();
    private final List<Map<String, Object>> raw = new ArrayList<>();

    void add(String metric, double value) {
        values.computeIfAbsent(metric, x -> new ArrayList<>()).add(value);
    }

    void addRaw(Map<String, Object> line) {
        raw.add(line);
    }

    List<Map<String, Object>> raw() {
        return Collections.unmodifiableList(raw);
    }

    /** Metric name to its mean over the run, NaNs ignored. */
    Map<String, Double> means() {
        Map<String, Double> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, mean(v)));
        return out;
    }

    /** Mean ignoring NaNs (the reference's AverageMetric); NaN when every value is. */
    static double mean(List<Double> v) {
        double s = 0;
        int n = 0;
        for (double x : v) if (!Double.isNaN(x)) {
            s += x;
            n++;
        }
        return n == 0 ? Double.NaN : s / n;
    }
}
