package dev.lcm4j.models;

import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * A training objective over a batch: what the trainer calls, whatever the model family. Each family makes its own
 * ({@link ModelFamily#criterion}).
 */
public interface Criterion {
    /**
     * @param loss       the value to backpropagate (a sum over target sentences, or their mean)
     * @param numTargets number of target sentences in the batch
     * @param summands   extra logged terms, each a sum over the targets (averaged per target when published)
     */
    record Loss(Tensor loss, long numTargets, Map<String, Double> summands) {}

    Loss loss(Lcm model, EmbeddingsBatch batch);

    /** Whether batches carry source and target (finetuning) rather than plain documents. */
    boolean supervised();
}
