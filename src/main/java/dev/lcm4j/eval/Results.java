package dev.lcm4j.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.lcm4j.LcmException;
import dev.lcm4j.eval.metrics.StudentT;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@link TaskRunner} collects for one run, batch by batch: every value of every metric (per sample or per
 * position) and one raw-results line per sample or document. A sharded run collects only its own batches;
 * {@link #toJson} / {@link #merge} carry them to rank 0, which puts every batch back in the run's order. The
 * metrics are then averaged over the same values in the same order as in a single process, so the results are
 * bit for bit the same. Metrics keep the order they were first reported in (over the batches in order), which is the
 * order of the keys in the results files.
 */
final class Results {
    /**
     * JSON that carries NaN and infinities as bare tokens (a metric of one sample may be NaN; it must reach rank 0
     * as NaN, not as the string "NaN"), and reads floating-point numbers back as the same doubles.
     */
    private static final JsonMapper WIRE = JsonMapper.builder().disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /** What one batch reported, in the order it reported it. */
    static final class Batch {
        private final List<String> metrics = new ArrayList<>();
        private final List<Double> values = new ArrayList<>();
        private final List<Map<String, Object>> raw = new ArrayList<>();

        void add(String metric, double value) {
            metrics.add(metric);
            values.add(value);
        }

        void addRaw(Map<String, Object> line) {
            raw.add(line);
        }
    }

    /** The wire form of a batch. */
    private record WireBatch(int batch, List<String> metrics, List<Double> values, List<Map<String, Object>> raw) {
    }

    private final TreeMap<Integer, Batch> batches = new TreeMap<>();

    /** A new batch, {@code index} in the run's order of batches. */
    Batch batch(int index) {
        if (batches.containsKey(index)) throw new IllegalStateException("batch " + index + " reported twice");
        Batch b = new Batch();
        batches.put(index, b);
        return b;
    }

    /** The raw lines of every batch, in batch order. */
    List<Map<String, Object>> raw() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Batch b : batches.values()) out.addAll(b.raw);
        return out;
    }

    /** Metric name to its values over the run, in batch order, metrics in first-seen order. */
    private Map<String, List<Double>> valuesByMetric() {
        Map<String, List<Double>> values = new LinkedHashMap<>();
        for (Batch b : batches.values()) {
            for (int i = 0; i < b.metrics.size(); i++) values.computeIfAbsent(b.metrics.get(i), x -> new ArrayList<>()).add(b.values.get(i));
        }
        return values;
    }

    /** Metric name to its mean over the run, NaNs ignored. */
    Map<String, Double> means() {
        return means(valuesByMetric());
    }

    private static Map<String, Double> means(Map<String, List<Double>> values) {
        Map<String, Double> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, mean(v)));
        return out;
    }

    /**
     * {@link #means()}, followed, with a confidence level, by each metric's Student-t interval of the mean as
     * {@code <metric>_ci_lb_<level>} and {@code <metric>_ci_ub_<level>} (the reference's keys, e.g. {@code rougeL_ci_lb_0.95}).
     */
    Map<String, Double> metrics(Double confidenceLevel) {
        Map<String, List<Double>> values = valuesByMetric();
        Map<String, Double> out = means(values);
        if (confidenceLevel == null) return out;
        String level = BigDecimal.valueOf(confidenceLevel).stripTrailingZeros().toPlainString();
        values.forEach((k, v) -> {
            double[] ci = StudentT.meanInterval(v, confidenceLevel);
            out.put(k + "_ci_lb_" + level, ci[0]);
            out.put(k + "_ci_ub_" + level, ci[1]);
        });
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

    /** These batches as one JSON message. */
    String toJson() {
        List<WireBatch> out = new ArrayList<>();
        batches.forEach((i, b) -> out.add(new WireBatch(i, b.metrics, b.values, b.raw)));
        try {
            return WIRE.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new LcmException("cannot serialize evaluation results: " + e.getOriginalMessage(), e);
        }
    }

    /** The batches of every shard's {@link #toJson} message, together in batch order. */
    static Results merge(List<String> messages) {
        Results all = new Results();
        for (String m : messages) {
            List<WireBatch> parts;
            try {
                parts = WIRE.readValue(m, new TypeReference<List<WireBatch>>() { });
            } catch (JsonProcessingException e) {
                throw new LcmException("a shard sent unreadable evaluation results: " + e.getOriginalMessage(), e);
            }
            for (WireBatch w : parts) {
                Batch b = all.batch(w.batch());
                for (int i = 0; i < w.metrics().size(); i++) b.add(w.metrics().get(i), w.values().get(i));
                w.raw().forEach(b::addRaw);
            }
        }
        return all;
    }

    /** Metrics as one JSON message (NaN kept), for rank 0 to tell the other ranks. */
    static String metricsToJson(Map<String, Double> metrics) {
        try {
            return WIRE.writeValueAsString(metrics);
        } catch (JsonProcessingException e) {
            throw new LcmException("cannot serialize metrics: " + e.getOriginalMessage(), e);
        }
    }

    static Map<String, Double> metricsFromJson(String json) {
        try {
            return WIRE.readValue(json, new TypeReference<LinkedHashMap<String, Double>>() { });
        } catch (JsonProcessingException e) {
            throw new LcmException("unreadable metrics from rank 0: " + e.getOriginalMessage(), e);
        }
    }
}
