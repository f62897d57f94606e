package dev.lcm4j.eval;

import dev.lcm4j.io.ProgressBars;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/** Runs one kind of task: reads its samples, predicts, scores, and reports metric values and raw lines to the sink. */
interface TaskRunner {
    /**
     * @param run     the task, its arguments and run name
     * @param dataset the dataset options with the task's defaults applied
     * @param sink    receives every metric value and one raw line per sample or document
     */
    void run(Run run, DatasetOptions dataset, Results sink);

    /**
     * The command-level options a runner reads.
     *
     * @param maxSamples   at most this many samples (documents), or null for all
     * @param batchSize    samples per predictor call
     * @param showProgress draw a progress bar on stderr
     * @param logOnlyText  leave the prediction's embedding shape out of the raw results
     */
    record Settings(Integer maxSamples, int batchSize, boolean showProgress, boolean logOnlyText) {
        /** A progress bar over {@code max} samples; without {@code showProgress} it counts but draws nothing. */
        ProgressBar progressBar(String name, long max) {
            ProgressBarBuilder b = ProgressBars.builder(name, max);
            if (!showProgress) b.setConsumer(new DelegatingProgressBarConsumer(s -> { }));
            return b.build();
        }
    }
}
