package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.CriterionConfig;
import dev.lcm4j.config.TrainingConfig;
import dev.lcm4j.data.Document;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.torch.Autocast;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One optimizer step, as the reference's trainer takes it: {@code gradient_accumulation} micro-batches (forward under
 * autocast when bf16, backward), then gradients divided by the number of target sentences (reduction "sum"),
 * global-norm clipping and an AdamW update at the scheduled learning rate. A step whose loss or gradients are not
 * finite is skipped (up to {@code max_nans_or_infs} times) and the next batch is tried.
 */
final class TrainStep {
    private static final Logger LOG = LoggerFactory.getLogger(TrainStep.class);

    /**
     * What a step did.
     *
     * @param lossPerTarget the loss per target sentence (reduction sum) or the mean of the micro-batch means (mean)
     * @param targets       target sentences of the step
     * @param sentences     sentences read (targets and context)
     * @param documents     documents of the step (all micro-batches)
     * @param summands      the criterion's extra terms, summed over the step's targets
     * @param rawGradNorm   gradient norm before normalization and clipping
     * @param gradNorm      gradient norm after normalization, before clipping (what the reference logs)
     * @param lr            the learning rate of the update
     * @param communicationSeconds time in gradient collectives (0 on one process)
     */
    record Stats(double lossPerTarget, long targets, long sentences, long documents, Map<String, Double> summands,
                 double rawGradNorm, double gradNorm, double lr, double communicationSeconds) {}

    private final TrainingConfig cfg;
    private final Lcm model;
    private final Criterion criterion;
    private final ParameterUpdater updater;
    private final LrSchedule schedule;
    private final DistributedGroup group;
    private final boolean bf16;
    private final boolean sumReduction;
    private int nanCount;

    TrainStep(TrainingConfig cfg, Lcm model, Criterion criterion, ParameterUpdater updater, LrSchedule schedule,
              DistributedGroup group, boolean bf16) {
        this.cfg = cfg;
        this.model = model;
        this.criterion = criterion;
        this.updater = updater;
        this.schedule = schedule;
        this.group = group;
        this.bf16 = bf16;
        this.sumReduction = cfg.criterion().reduction() == CriterionConfig.Reduction.SUM;
    }

    /**
     * Takes step {@code step + 1} on batches of {@code data}; null when it was skipped for a non-finite loss or
     * gradient. The statistics are summed over the ranks, so every rank returns the same.
     */
    Stats run(long step, BatchSource data) {
        long targets = 0, sentences = 0, documents = 0;
        double loss = 0;
        Map<String, Double> summands = new LinkedHashMap<>(); // the criterion adds the same keys in the same order on every rank
        updater.zeroGrad();
        int accumulation = cfg.gradient_accumulation();
        for (int micro = 0; micro < accumulation; micro++) {
            List<Document> docs = data.next();
            if (data.restartedPass() && micro > 0) {
                // as the reference: micro-batches gathered before the data ran out are dropped, the step restarts
                updater.zeroGrad();
                targets = 0;
                sentences = 0;
                documents = 0;
                loss = 0;
                summands.clear();
                micro = 0;
            }
            // Every random draw of a micro-batch (dropout, diffusion steps and noise, guidance drops) comes from a
            // generator seeded by its place in the global batch: micro-batch m of rank r is global micro-batch
            // (step * A + m) * W + r. So 1 rank accumulating W micro-batches and W ranks with one each draw the
            // same, and a resumed run draws what the uninterrupted one did.
            manual_seed(mix(cfg.seed(), (step * accumulation + micro) * group.worldSize() + group.rank()));
            try (PointerScope scope = new PointerScope()) {
                Criterion.Loss out = forward(toBatch(docs, criterion.supervised()));
                updater.beforeBackward(micro == accumulation - 1);
                out.loss().backward();
                loss += out.loss().item_double();
                targets += out.numTargets();
                out.summands().forEach((k, v) -> summands.merge(k, v, Double::sum));
                for (Document d : docs) sentences += d.length();
                documents += docs.size();
            }
        }
        // one collective for every statistic; a non-finite loss on any rank makes the sum non-finite everywhere
        double[] local = new double[4 + summands.size()];
        local[0] = loss;
        local[1] = targets;
        local[2] = sentences;
        local[3] = documents;
        int k = 4;
        for (double v : summands.values()) local[k++] = v;
        double[] global = group.allreduceSum(local);
        loss = global[0];
        targets = (long) global[1];
        sentences = (long) global[2];
        documents = (long) global[3];
        k = 4;
        for (Map.Entry<String, Double> e : summands.entrySet()) e.setValue(global[k++]);
        if (!Double.isFinite(loss)) return skip("loss", step);
        double rawNorm = updater.reduceGradients();
        // a finite loss with overflowing gradients must not reach AdamW (inf/inf = NaN weights)
        if (!Double.isFinite(rawNorm)) return skip("gradients", step);
        // reduction "sum": gradients of the summed loss are divided by the number of target sentences of all ranks
        double normFactor = !cfg.turn_off_grad_normalization() && sumReduction ? 1.0 / Math.max(1, targets) : 1.0;
        double lr = schedule.lr(step);
        double gradNorm = updater.update(lr, normFactor, cfg.max_grad_norm(), rawNorm);
        double lossPerTarget = sumReduction ? loss / Math.max(1, targets) : loss / (accumulation * group.worldSize());
        return new Stats(lossPerTarget, targets, sentences, documents, summands, rawNorm, gradNorm, lr,
                updater.lastCommunicationSeconds());
    }

    /** SplitMix64 of a seed and a counter: independent streams for the micro-batches. */
    static long mix(long seed, long counter) {
        long h = seed * 0x9E3779B97F4A7C15L + counter;
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        return h ^ (h >>> 31);
    }

    /** Whether the criterion trains on source/target pairs (finetuning). */
    boolean supervised() {
        return criterion.supervised();
    }

    /** The criterion's loss on a batch, under bf16 autocast when the run computes in bf16. */
    Criterion.Loss forward(EmbeddingsBatch cpuBatch) {
        EmbeddingsBatch batch = cpuBatch.to(model.device());
        if (!bf16) return criterion.loss(model, batch);
        Autocast.enter(model.device());
        try {
            return criterion.loss(model, batch);
        } finally {
            Autocast.exit(model.device());
        }
    }

    private Stats skip(String what, long step) {
        if (++nanCount > cfg.max_nans_or_infs()) {
            throw new LcmException(what + (what.equals("loss") ? " is" : " are") + " NaN/Inf " + nanCount
                    + " times; lower the lr or check the data");
        }
        LOG.warn("{} {} NaN/Inf at step {}; skipping the batch ({} of {} allowed)", what, what.equals("loss") ? "is" : "are",
                step + 1, nanCount, cfg.max_nans_or_infs());
        updater.zeroGrad();
        return null;
    }

    /** Documents -> a right-padded batch; supervised criteria get source and target sentences. */
    static EmbeddingsBatch toBatch(List<Document> docs, boolean supervised) {
        List<float[][]> src = new ArrayList<>(docs.size());
        List<float[][]> tgt = supervised ? new ArrayList<>(docs.size()) : null;
        for (Document d : docs) {
            src.add(d.embeddings());
            if (supervised) {
                if (!d.hasTarget()) throw new LcmException("a supervised (finetuning) criterion needs data with a target_column (dataset " + d.dataset() + ")");
                tgt.add(d.targetEmbeddings());
            }
            // unsupervised criteria read the source column only, as the reference's prepare_input(UNSUPERVISED)
        }
        return EmbeddingsBatch.of(src, tgt);
    }
}
