package dev.lcm4j.train;

import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.LcmException;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.baselcm.BaseLcm;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcm;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/** A training objective over a batch: what the trainer calls, whatever the model family. */
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

    /** The criterion {@code config.name} names, checked against the model it will train. */
    static Criterion create(CriterionConfig config, Lcm model) {
        String reduction = config.reduction().name().toLowerCase(java.util.Locale.ROOT);
        if (config.isDiffusion()) {
            if (!(model instanceof TwoTowerDiffusionLcm tt)) {
                throw new LcmException("criterion " + config.name() + " trains a two_tower_diffusion_lcm, but the model is a "
                        + model.family() + "; use next_sentence_mse or target_mse");
            }
            return new DiffusionCriterion(config, tt);
        }
        if (!(model instanceof BaseLcm base)) {
            throw new LcmException("criterion " + config.name() + " trains a base_lcm, but the model is a " + model.family()
                    + "; use two_tower_diffusion_next_sent or two_tower_diffusion_next_sent_finetuning");
        }
        MseCriterion mse = new MseCriterion(config.name(), reduction, config.compute_rmse(), config.min_context_size());
        return new Criterion() {
            public Loss loss(Lcm m, EmbeddingsBatch batch) {
                MseCriterion.Output o = mse.compute((BaseLcm) m, batch);
                return new Loss(o.loss(), o.numTargets(), Map.of());
            }

            public boolean supervised() {
                return mse.supervised();
            }
        };
    }
}
