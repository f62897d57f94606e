package dev.lcm4j.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Training statistics between two publications of metrics (every {@code publish_metrics_every_n_steps} steps):
 * the loss averaged per target sentence over the window's steps (not the mean of step means), the criterion's extra
 * summands likewise, sentences per second of wall time, the fp16 loss scale and the peak memory of the process.
 */
final class MetricsWindow {
    private double lossSum;
    private long targets, sentences;
    private double communication;
    private final Map<String, Double> summands = new LinkedHashMap<>();
    private long start = System.nanoTime();

    void add(TrainStep.Stats s) {
        lossSum += s.lossPerTarget() * s.targets();
        targets += s.targets();
        sentences += s.sentences();
        communication += s.communicationSeconds();
        s.summands().forEach((k, v) -> summands.merge(k, v, Double::sum));
    }

    double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    double sentencesPerSecond() {
        return sentences / Math.max(seconds(), 1e-9);
    }

    /**
     * The reference's train metrics for the window ending with step {@code last}, then a fresh window.
     *
     * @param lrAfterStep the learning rate after the scheduler stepped (the reference logs get_effective_lr then)
     * @param peakMemoryMib the process's peak memory so far ({@link dev.lcm4j.torch.PeakMemory}), NaN if unknown
     */
    Map<String, Double> publishAndReset(TrainStep.Stats last, double lrAfterStep, double peakMemoryMib) {
        double secs = seconds();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", lossSum / Math.max(1, targets));
        m.put("lr", lrAfterStep);
        m.put("grad_norm", last.gradNorm());
        m.put("raw_grad_norm", last.rawGradNorm());
        for (Map.Entry<String, Double> e : summands.entrySet()) m.put(e.getKey(), e.getValue() / Math.max(1, targets));
        m.put("batch_size", (double) last.documents());
        m.put("num_target_elements", (double) last.targets());
        m.put("elements_per_second", sentences / Math.max(secs, 1e-9));
        m.put("wall_time", secs);
        // several processes: the share of wall time spent summing gradients over the ranks
        if (communication > 0) m.put("communication_share", communication / Math.max(secs, 1e-9));
        // fp16: the loss scale after the step, as the reference publishes it
        if (!Double.isNaN(last.lossScale())) m.put("grad_scale", last.lossScale());
        if (!Double.isNaN(peakMemoryMib)) m.put("peak_memory_mib", peakMemoryMib);
        lossSum = 0;
        targets = 0;
        sentences = 0;
        communication = 0;
        summands.clear();
        start = System.nanoTime();
        return m;
    }
}
