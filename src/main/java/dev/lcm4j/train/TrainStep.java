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
import dev.lcm4j.torch.OutOfMemory;
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
 * the run's {@link Precision}, backward of the loss times the {@link DynamicLossScaler}'s scale), then gradients
 * divided by the number of target sentences (reduction "sum") and by the loss scale, global-norm clipping and an AdamW
 * update at the scheduled learning rate. A step whose loss or gradients are not finite is skipped and the next batch
 * is tried: with loss scaling that is an overflow (the scale is halved), without it a NaN/Inf, allowed
 * {@code max_nans_or_infs} times.
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
     * @param lossScale     the fp16 loss scale after the step (what the next step uses; the reference's grad_scale);
     *                      NaN without loss scaling
     */
    record Stats(double lossPerTarget, long targets, long sentences, long documents, Map<String, Double> summands,
                 double rawGradNorm, double gradNorm, double lr, double communicationSeconds, double lossScale) {}

    private final TrainingConfig cfg;
    private final Lcm model;
    private final Criterion criterion;
    private final ParameterUpdater updater;
    private final LrSchedule schedule;
    private final DistributedGroup group;
    private final Precision precision;
    private final DynamicLossScaler scaler;
    private final boolean sumReduction;
    private int nanCount;

    /** A step in float32 without loss scaling. */
    TrainStep(TrainingConfig cfg, Lcm model, Criterion criterion, ParameterUpdater updater, LrSchedule schedule,
              DistributedGroup group) {
        this(cfg, model, criterion, updater, schedule, group, Precision.FLOAT32, DynamicLossScaler.disabled());
    }

    TrainStep(TrainingConfig cfg, Lcm model, Criterion criterion, ParameterUpdater updater, LrSchedule schedule,
              DistributedGroup group, Precision precision, DynamicLossScaler scaler) {
        this.cfg = cfg;
        this.model = model;
        this.criterion = criterion;
        this.updater = updater;
        this.schedule = schedule;
        this.group = group;
        this.precision = precision;
        this.scaler = scaler;
        this.sumReduction = cfg.criterion().reduction() == CriterionConfig.Reduction.SUM;
    }

    /**
     * Takes step {@code step + 1} on batches of {@code data}; null when it was skipped for a non-finite loss or
     * gradient. The statistics are summed over the ranks, so every rank returns the same. An allocation failure of
     * libtorch is one line naming {@code data_loading_config.max_tokens}.
     */
    Stats run(long step, BatchSource data) {
        try {
            return runStep(step, data);
        } catch (RuntimeException e) {
            if (!OutOfMemory.causedBy(e)) throw e;
            throw new LcmException("out of memory in training step " + (step + 1) + " (" + OutOfMemory.firstLine(e)
                    + "): lower ++trainer.data_loading_config.max_tokens (now " + cfg.data_loading_config().max_tokens()
                    + "; raise ++trainer.gradient_accumulation to keep the batch)"
                    + (cfg.activation_checkpointing() ? "" : " or set ++trainer.activation_checkpointing=true")
                    + "; the checkpoints written so far are kept"
                    + " and the same command resumes from the last one", e);
        }
    }

    private Stats runStep(long step, BatchSource data) {
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
                scaler.scaled(out.loss()).backward();
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
        // with loss scaling a non-finite loss is an overflow like any other (as fairseq2's scaler sees it)
        if (!Double.isFinite(loss)) return scaler.enabled() ? overflow(step) : skip("loss", step);
        // the norm of the gradients summed over the ranks: an inf/NaN on any rank makes it non-finite on every rank, so
        // all ranks skip the same step (the "found inf" flag is reduced with the gradients)
        double rawNorm = updater.reduceGradients();
        // a finite loss with overflowing gradients must not reach AdamW (inf/inf = NaN weights)
        if (!Double.isFinite(rawNorm)) return scaler.enabled() ? overflow(step) : skip("gradients", step);
        // reduction "sum": gradients of the summed loss are divided by the number of target sentences of all ranks;
        // the loss scale is undone in the same multiplication (a power of two: the product rounds as two would)
        double unscale = scaler.inverseScale();
        double normFactor = (!cfg.turn_off_grad_normalization() && sumReduction ? 1.0 / Math.max(1, targets) : 1.0) * unscale;
        double lr = schedule.lr(step);
        double gradNorm = updater.update(lr, normFactor, cfg.max_grad_norm(), rawNorm);
        scaler.stepped(step + 1);
        double lossScale = scaler.enabled() ? scaler.scale() : Double.NaN;
        double lossPerTarget = sumReduction ? loss / Math.max(1, targets) : loss / (accumulation * group.worldSize());
        return new Stats(lossPerTarget, targets, sentences, documents, summands, rawNorm * unscale, gradNorm, lr,
                updater.lastCommunicationSeconds(), lossScale);
    }

    /** A step whose scaled gradients overflowed: nothing is updated, the scale is halved, the next batch is tried. */
    private Stats overflow(long step) {
        scaler.overflowed(step + 1);
        updater.zeroGrad();
        return null;
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

    /** The criterion's loss on a batch (moved to the model's device), under the run's autocast. */
    Criterion.Loss forward(EmbeddingsBatch cpuBatch) {
        EmbeddingsBatch batch = cpuBatch.to(model.device());
        return precision.forward(() -> criterion.loss(model, batch));
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
