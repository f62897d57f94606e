package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.getDefaultCPUGenerator;

import dev.lcm4j.concepts.AffixEmbedding;
import dev.lcm4j.config.DatasetConfig;
import dev.lcm4j.config.TrainingConfig;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.LcmDataLoader;
import dev.lcm4j.data.LoaderOptions;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.Lcm;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Validation during training: the criterion's loss per target sentence on every validation dataset (published as
 * {@code Valid | <name>}) and over all of them together, in eval mode and without gradients. Under data parallelism
 * each rank validates its shard and the losses and target counts are summed over the ranks. The training RNG stream
 * is left exactly where it was, so validating does not change the run.
 */
final class Validation {
    private final TrainingConfig cfg;
    private final DatacardRegistry cards;
    private final int dim;
    private final DistributedGroup group;

    Validation(TrainingConfig cfg, DatacardRegistry cards, int dim, DistributedGroup group) {
        this.cfg = cfg;
        this.cards = cards;
        this.dim = dim;
        this.group = group;
    }

    /** The loss per target over all validation datasets; each dataset's loss is published at {@code step}. */
    double run(Lcm model, TrainStep step, MetricsLog metrics, long stepNumber) {
        model.train(false);
        double total = 0;
        long targets = 0;
        Tensor rng = getDefaultCPUGenerator().get_state();
        rng.retainReference();
        try {
            List<Dataset> resolved = TrainingRun.datasets(cards, cfg.validation_data(), "validation_data");
            for (int vi = 0; vi < resolved.size(); vi++) {
                DatasetConfig ds = cfg.validation_data().get(vi);
                // each rank validates its shard; the sums below add up to the whole dataset
                LoaderOptions o = TrainingRun.loaderOptions(cfg.validation_data_loading_config(), dim, true,
                        cfg.data_loading_config().seed(), group.rank(), group.worldSize());
                LcmDataLoader loader = AffixEmbedding.openLoader(List.of(resolved.get(vi)), o);
                double dsLoss = 0;
                long dsTargets = 0;
                while (loader.hasNext()) {
                    List<Document> docs = loader.next();
                    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                        Criterion.Loss out = step.forward(TrainStep.toBatch(docs, step.supervised()));
                        dsLoss += out.loss().item_double();
                        dsTargets += out.numTargets();
                    }
                }
                double[] sums = group.allreduceSum(dsLoss, dsTargets);
                dsLoss = sums[0];
                dsTargets = (long) sums[1];
                double v = dsLoss / Math.max(1, dsTargets);
                if (metrics != null) metrics.publish("Valid | " + ds.name(), stepNumber, Map.of("loss", v, "num_target_elements", (double) dsTargets));
                total += dsLoss;
                targets += dsTargets;
            }
        } finally {
            getDefaultCPUGenerator().set_state(rng);
            rng.releaseReference();
            model.train(true);
        }
        return total / Math.max(1, targets);
    }
}
