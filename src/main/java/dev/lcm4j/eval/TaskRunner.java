package dev.lcm4j.eval;

import dev.lcm4j.io.ProgressBars;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Runs one kind of task: reads its samples, cuts them into batches of {@code batch_size}, and for each batch of its
 * {@link Shard} predicts, scores, and reports metric values and raw lines to that batch of the sink. Every random draw
 * of a sample is seeded from {@code --seed} and the sample's index in the run ({@link dev.lcm4j.torch.Noise#seedFor}),
 * so a sample's prediction does not depend on which shard computes it.
 */
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
     * @param seed         the user's {@code --seed}, from which every sample's own seed is derived
     * @param shard        the batches this process computes
     */
    record Settings(Integer maxSamples, int batchSize, boolean showProgress, boolean logOnlyText, long seed, Shard shard) {
        /**
         * A progress bar over this shard's part of {@code samples} samples; without {@code showProgress} it counts but
         * draws nothing.
         */
        ProgressBar progressBar(String name, int samples) {
            ProgressBarBuilder b = ProgressBars.builder(name + shard.label(), shard.samplesOf(samples, batchSize));
            if (!showProgress) b.setConsumer(new DelegatingProgressBarConsumer(s -> { }));
            return b.build();
        }
    }
}
