package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.TrainingConfig;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.io.ProgressBars;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Devices;
import dev.lcm4j.torch.OutOfMemory;
import dev.lcm4j.torch.PeakMemory;
import dev.lcm4j.io.FileTrees;
import org.bytedeco.pytorch.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.bytedeco.pytorch.global.torch;

/**
 * The LCM trainer (the reference's LCMTrainer on one process), the same for every model family: the family's
 * criterion computes the loss, everything else is shared. {@link #train()} sets the run up (or resumes it), then
 * repeats a {@link TrainStep} (micro-batches, backward, gradient normalization and clipping, AdamW at the scheduled
 * learning rate), publishes a {@link MetricsWindow} to {@link MetricsLog}, runs {@link Validation} and writes
 * checkpoints through the {@link Checkpointer}, which resume the identical run (model, optimizer, data-loader
 * position and RNG state).
 *
 * <p>Data parallelism: with a {@link DistributedGroup} of several processes every rank builds the same model (rank 0's
 * parameters are broadcast), reads its shard of the data, and the {@link ParameterUpdater} sums the gradients over
 * the ranks ({@code use_fsdp: true} shards the optimizer state); statistics are summed likewise. Only rank 0 writes
 * metrics, cards and checkpoints; checkpoints hold every rank's data position.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private final TrainingRun run;
    private final boolean overwrite;
    private final DistributedGroup group;

    /**
     * @param preempted the run stopped early because the scheduler warned of a preemption (see {@link Preemption});
     *                  a checkpoint of the last step was written
     */
    public record Result(long steps, double lastLoss, Double lastValidLoss, Path outputDir, boolean preempted) {
        public Result(long steps, double lastLoss, Double lastValidLoss, Path outputDir) {
            this(steps, lastLoss, lastValidLoss, outputDir, false);
        }
    }

    private long stopAfterStep = Long.MAX_VALUE;

    /** A trainer of one process. */
    public Trainer(TrainingRun run, boolean overwrite) {
        this(run, overwrite, DistributedGroup.single());
    }

    /** A trainer on {@code group}'s ranks (every rank runs one). */
    public Trainer(TrainingRun run, boolean overwrite, DistributedGroup group) {
        this.run = run;
        this.overwrite = overwrite;
        this.group = group;
    }

    /** Ends this process's run at {@code step} (with a checkpoint) although max_steps is larger; re-running resumes. */
    public Trainer stopAfter(long step) {
        this.stopAfterStep = step;
        return this;
    }

    /**
     * Trains to {@code max_steps} (or the stop step), resuming from the last checkpoint of the output directory.
     * Rank 0 holds the directory's lock for the whole run; if the setup fails in a directory this run created, the
     * directory is removed again, so a refused run leaves nothing behind.
     */
    public Result train() {
        // before anything is written: a device this machine cannot give is one error line and an untouched directory
        device = Devices.resolve(run.cfg.device(), "trainer.device", group.distributed() ? group.environment().localRank() : -1);
        group.useDevice(device);
        if (!device.is_cpu() && group.isMain()) LOG.info("training on {}", Devices.describe(device));
        boolean created = group.isMain() && !Files.exists(run.outputDir);
        try (RunLock lock = group.isMain() ? RunLock.acquire(run.outputDir) : null) {
            setupDone = false;
            try {
                return trainLocked();
            } catch (RuntimeException e) {
                if (created && !setupDone) removeQuietly(run.outputDir);
                throw e;
            }
        }
    }

    private boolean setupDone;
    private Device device; // where the model lives (trainer.device, resolved)

    private static void removeQuietly(Path dir) {
        try {
            FileTrees.deleteTree(dir);
        } catch (IOException e) {
            LOG.warn("cannot remove {} after the failed setup: {}", dir, e.getMessage());
        }
    }

    private Result trainLocked() {
        TrainingConfig cfg = run.cfg;
        // setup: output directory (rank 0 checks and prepares it while the others wait), precision, model, optimizer, data
        boolean resume = false;
        if (group.isMain()) {
            Checkpointer.deleteTemporaries(run.checkpointDir); // left by killed runs; the lock says no one writes them now
            resume = run.prepareOutputDir(overwrite);
        }
        Checkpointer checkpointer = new Checkpointer(run, group);
        // every rank resumes from the checkpoint rank 0 found (the output directory is shared)
        long lastStep = group.allreduceMax(group.isMain() && resume && checkpointer.latest() != null
                ? Checkpointer.stepOf(checkpointer.latest()) : -1);
        Path last = lastStep < 0 ? null : run.checkpointDir.resolve("step_" + lastStep);
        manual_seed(cfg.seed());
        Lcm model = buildModel(last == null);
        if (last == null) broadcastParameters(model);
        checkpointActivations(model, cfg.activation_checkpointing(), run.modelFamily.name());
        int cudaDevice = cudaDevice(model);
        Precision precision = Precision.forTraining(cfg.dtype(), cudaDevice >= 0);
        DynamicLossScaler scaler = lossScaler(cfg, precision);
        int dim = model.sonarEmbedDim();
        Criterion criterion = run.modelFamily.criterionOf(cfg.criterion(), model);
        Map<String, Tensor> trainable = Freezing.apply(model.namedParameters(), cfg.freezing_strategy(), cfg.freeze_modules());
        ParameterUpdater updater = updater(cfg, trainable, precision.bf16());
        LrSchedule schedule = LrSchedule.create(cfg.lr_schedule(), cfg.lr(), cfg.start_lr(), cfg.final_lr(),
                cfg.num_lr_warmup_steps(), cfg.max_steps(), cfg.lr_stage_ratios());
        DatacardRegistry cards = DatacardRegistry.fromEnvironment();
        TrainingData data = new TrainingData(TrainingRun.datasets(cards, cfg.training_data(), "training_data"),
                TrainingRun.loaderOptions(cfg.data_loading_config(), dim, false, cfg.data_loading_config().seed(),
                        group.rank(), group.worldSize()));

        // resume: model, optimizer, data position and RNG of the last checkpoint
        long step = 0;
        BestValidation best = new BestValidation();
        if (last != null) {
            step = lastStep;
            Checkpointer.TrainerState st = checkpointer.restore(last, model, updater);
            data.restore(st.passes(), st.loader());
            best = BestValidation.fromMap(st.bestValidation());
            scaler.restore(st.lossScaler(), last.resolve("trainer_state.yaml").toString());
            Checkpointer.setRngState(st.rng());
            LOG.info("resuming {} from step {}", run.outputDir, step);
        }
        if (best.exhausted(cfg.early_stopping_patience())) {
            LOG.info("nothing to do: the run stopped early at step {} (validation loss not improved since step {})", step, best.step());
            return new Result(step, Double.NaN, null, run.outputDir);
        }
        if (step >= cfg.max_steps()) {
            LOG.info("nothing to do: step {} >= max_steps {}", step, cfg.max_steps());
            return new Result(step, Double.NaN, null, run.outputDir);
        }
        // the setup worked: record the run's configuration (a refused run leaves no config_logs/)
        if (group.isMain()) run.dumpConfig();
        setupDone = true;

        TrainStep trainStep = new TrainStep(cfg, model, criterion, updater, schedule, group, precision, scaler);
        Validation validation = new Validation(cfg, cards, dim, group);
        MetricsWindow window = new MetricsWindow();
        model.train(true);
        double lastLoss = Double.NaN;
        Double lastValid = null;
        boolean preempted = false;
        boolean stopEarly = false;
        try (MetricsLog metrics = group.isMain() ? new MetricsLog(run.outputDir, tbDir(), step) : null;
             ProgressBar bar = progressBar(cfg.max_steps(), step, group.isMain())) {
            while (step < cfg.max_steps() && step < stopAfterStep && !preempted && !stopEarly) {
                TrainStep.Stats stats = trainStep.run(step, data);
                if (stats == null) continue; // skipped: not finite
                step++;
                lastLoss = stats.lossPerTarget();
                window.add(stats);
                bar.stepTo(step);
                double peakMib = PeakMemory.mib(cudaDevice);
                bar.setExtraMessage(String.format(Locale.ROOT, " loss=%.4g lr=%.3g sent/s=%.0f%s", stats.lossPerTarget(), stats.lr(),
                        window.sentencesPerSecond(), Double.isNaN(peakMib) ? "" : String.format(Locale.ROOT, " peak=%.0fMiB", peakMib)));
                if (step % cfg.publish_metrics_every_n_steps() == 0 || step == cfg.max_steps()) {
                    // every rank reaches this step: the published peak is the largest of the ranks'
                    double peakOfRanks = Double.isNaN(peakMib) ? Double.NaN : group.allreduceMax(Math.round(peakMib * 1024)) / 1024.0;
                    if (metrics != null) metrics.publish("Train", step, window.publishAndReset(stats, schedule.lr(step), peakOfRanks));
                }
                boolean validated = false;
                if (cfg.validate_every_n_steps() > 0 && step % cfg.validate_every_n_steps() == 0 && !cfg.validation_data().isEmpty()) {
                    lastValid = validation.run(model, trainStep, metrics, step);
                    validated = true;
                    best.record(step, lastValid); // every rank holds the same reduced loss, so all decide alike
                    if (best.exhausted(cfg.early_stopping_patience())) {
                        stopEarly = true;
                        LOG.info("early stopping at step {}: the validation loss has not improved for {} validations (best {} at step {})",
                                step, best.withoutImprovement(), String.format(Locale.ROOT, "%.6g", best.loss()), best.step());
                    }
                }
                // every rank stops at the same step when any of them was warned
                preempted = group.allreduceMax(Preemption.requested() ? 1 : 0) == 1;
                if (step % cfg.checkpoint_every_n_steps() == 0 || step == cfg.max_steps() || step == stopAfterStep || preempted
                        || stopEarly || (validated && cfg.keep_best_checkpoint())) {
                    checkpointer.save(step, data.passes(), model, updater, data.loaderState(), best, scaler.state());
                }
            }
        }
        if (group.isMain()) {
            Path cardDir = checkpointer.latest();
            Path bestDir = run.checkpointDir.resolve("step_" + best.step());
            if (cfg.keep_best_checkpoint() && best.step() >= 0 && Files.isDirectory(bestDir)) {
                cardDir = bestDir;
                LOG.info("model_card.yaml points at step {}, the lowest validation loss ({})", best.step(),
                        String.format(Locale.ROOT, "%.6g", best.loss()));
            }
            run.writeModelCard(run.outputDir.resolve("model_card.yaml"), run.outputDir, cardDir.resolve("model.pt"), Checkpointer.stepOf(cardDir));
        }
        if (preempted) LOG.warn("stopped at step {} for the scheduler's preemption warning; a requeued run resumes from it", step);
        return new Result(step, lastLoss, lastValid, run.outputDir, preempted);
    }

    /**
     * {@code trainer.activation_checkpointing}: every layer stack of the model (the shared {@code nn} stacks) keeps
     * only its layers' inputs while training. Refused for a model that has no such stack, where it would do nothing.
     */
    static void checkpointActivations(Lcm model, boolean on, String family) {
        int stacks = model.checkpointActivations(on);
        if (on && stacks == 0) {
            throw new LcmException("trainer.activation_checkpointing=true cannot apply to the " + family
                    + " model: it has no transformer layer stack (nn.TransformerDecoder, nn.denoisers.LcmDenoiser) to"
                    + " checkpoint; remove the key or set it to false");
        }
        if (on) LOG.info("activation checkpointing: {} layer stack(s) recompute their layers in the backward pass", stacks);
    }

    /** The model, or one line when its parameters do not fit in memory (before any step, so no batch setting helps). */
    private Lcm buildModel(boolean initialize) {
        try {
            return run.buildModel(ParamFactory.on(device), initialize);
        } catch (RuntimeException e) {
            if (!OutOfMemory.causedBy(e)) throw e;
            throw new LcmException("out of memory while building the model (" + OutOfMemory.firstLine(e) + "): its parameters"
                    + " do not fit; choose a smaller trainer.model_arch or model_arch_overrides, or run where there is more memory", e);
        }
    }

    /**
     * The CUDA device index of the model ({@link Lcm#device()}, built on {@code trainer.device}), or -1 when it is on
     * the CPU: what precision, loss scaling and peak memory follow.
     */
    static int cudaDevice(Lcm model) {
        Device d = model.device();
        return d.is_cuda() ? Math.max(0, d.has_index() ? d.index() : 0) : -1;
    }

    /**
     * The fp16 loss scaler when the run computes in float16 (on CUDA), else a disabled one; {@link #scaleLossOnCpu()}
     * turns it on for any dtype. The {@code loss_scaler_*} keys are refused by name where no scaler runs.
     */
    private DynamicLossScaler lossScaler(TrainingConfig cfg, Precision precision) {
        if (precision.lossScaling() || scaleLossOnCpu) return DynamicLossScaler.of(cfg, group.worldSize());
        String key = null;
        Object value = null;
        if (cfg.loss_scaler_scale_window() != null) {
            key = "loss_scaler_scale_window";
            value = cfg.loss_scaler_scale_window();
        } else if (cfg.loss_scaler_init_scale() != TrainingConfig.builder().build().loss_scaler_init_scale()) {
            key = "loss_scaler_init_scale";
            value = cfg.loss_scaler_init_scale();
        }
        if (key != null) {
            throw new LcmException("trainer." + key + "=" + value + " applies to the fp16 loss scaler, which runs only for dtype"
                    + " torch.float16 on CUDA; this run computes in " + cfg.dtype() + (cfg.dtype().equals("torch.float16")
                    ? " on the CPU (as bfloat16, which needs no loss scaling)" : "") + ": remove the key");
        }
        return DynamicLossScaler.disabled();
    }

    private boolean scaleLossOnCpu;

    /**
     * Runs the fp16 dynamic loss scaler whatever the dtype and device: on the CPU in float32 the scaler's skip, halving,
     * growth and checkpointed state are the same as in an fp16 run on CUDA, so tests exercise them without a GPU.
     */
    Trainer scaleLossOnCpu() {
        this.scaleLossOnCpu = true;
        return this;
    }

    private Path tbDir() {
        return run.cfg.tb_dir() == null ? run.outputDir.resolve("tb") : Paths.get(run.cfg.tb_dir());
    }

    /** The progress bar on rank 0; the other ranks' bars draw nowhere (their progress is rank 0's). */
    private static ProgressBar progressBar(long max, long start, boolean visible) {
        ProgressBarBuilder b = ProgressBars.builder("train", max).continuousUpdate().startsFrom(start, Duration.ZERO);
        if (!visible) b.setConsumer(new DelegatingProgressBarConsumer(line -> { }));
        return b.build();
    }

    /**
     * AdamW over the trainable parameters: one copy of its state on every rank, or with {@code use_fsdp: true} on
     * several ranks a slice per rank (ZeRO). {@code use_fsdp} on one process changes nothing.
     */
    private ParameterUpdater updater(TrainingConfig cfg, Map<String, Tensor> trainable, boolean bf16) {
        double b1 = cfg.adam_betas().get(0), b2 = cfg.adam_betas().get(1);
        if (cfg.use_fsdp() && group.distributed()) {
            // FSDP's mixed precision reduces gradients in the compute dtype unless fsdp_fp32_reduce asks for float32
            ScalarType reduce = !cfg.fsdp_fp32_reduce() && bf16 ? ScalarType.BFloat16 : ScalarType.Float;
            return new ShardedUpdater(trainable, b1, b2, cfg.adam_eps(), cfg.weight_decay(), group, reduce);
        }
        AdamW adamW = new AdamW(trainable, b1, b2, cfg.adam_eps(), cfg.weight_decay());
        return new ReplicatedUpdater(adamW, new ArrayList<>(trainable.values()), group);
    }

    /** Every rank starts from rank 0's initial parameters (as DDP does), whatever its RNG did. */
    private void broadcastParameters(Lcm model) {
        if (!group.distributed()) return;
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (Tensor t : model.stateDict().values()) group.broadcast(t, 0);
        }
    }
}
