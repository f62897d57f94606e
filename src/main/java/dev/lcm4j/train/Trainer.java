package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import dev.lcm4j.config.TrainingConfig;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Tensors;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
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
 * <p>Rank awareness: only rank 0 writes; data is sharded by rank in the loader. The multi-process launcher comes
 * with the distributed issue; here rank = 0 and world size = 1.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private final TrainingRun run;
    private final boolean overwrite;
    private final int rank = 0;

    public record Result(long steps, double lastLoss, Double lastValidLoss, Path outputDir) {}

    private long stopAfterStep = Long.MAX_VALUE;

    public Trainer(TrainingRun run, boolean overwrite) {
        this.run = run;
        this.overwrite = overwrite;
    }

    /** Ends this process's run at {@code step} (with a checkpoint) although max_steps is larger; re-running resumes. */
    public Trainer stopAfter(long step) {
        this.stopAfterStep = step;
        return this;
    }

    public Result train() {
        TrainingConfig cfg = run.cfg;
        // setup: output directory, precision, model, optimizer, data
        boolean resume = run.prepareOutputDir(overwrite);
        if (rank == 0) run.dumpConfig();
        boolean bf16 = computesInBf16(cfg.dtype());
        manual_seed(cfg.seed());
        Checkpointer checkpointer = new Checkpointer(run);
        Path last = resume ? checkpointer.latest() : null;
        Lcm model = run.buildModel(ParamFactory.cpu(), last == null);
        int dim = model.sonarEmbedDim();
        Criterion criterion = run.modelFamily.criterionOf(cfg.criterion(), model);
        Map<String, Tensor> trainable = Freezing.apply(model.namedParameters(), cfg.freezing_strategy(), cfg.freeze_modules());
        AdamW optimizer = new AdamW(trainable, cfg.adam_betas().get(0), cfg.adam_betas().get(1), cfg.adam_eps(), cfg.weight_decay());
        LrSchedule schedule = LrSchedule.create(cfg.lr_schedule(), cfg.lr(), cfg.start_lr(), cfg.final_lr(),
                cfg.num_lr_warmup_steps(), cfg.max_steps(), cfg.lr_stage_ratios());
        DatacardRegistry cards = DatacardRegistry.fromEnvironment();
        TrainingData data = new TrainingData(cards, TrainingRun.references(cfg.training_data()),
                TrainingRun.loaderOptions(cfg.data_loading_config(), cfg.training_data(), dim, false, cfg.data_loading_config().seed()));

        // resume: model, optimizer, data position and RNG of the last checkpoint
        long step = 0;
        if (last != null) {
            step = Checkpointer.stepOf(last);
            Checkpointer.TrainerState st = checkpointer.restore(last, model, optimizer);
            data.restore(st.passes(), st.loader());
            Checkpointer.setRngState(st.rng());
            LOG.info("resuming {} from step {}", run.outputDir, step);
        }
        if (step >= cfg.max_steps()) {
            LOG.info("nothing to do: step {} >= max_steps {}", step, cfg.max_steps());
            return new Result(step, Double.NaN, null, run.outputDir);
        }

        TrainStep trainStep = new TrainStep(cfg, model, criterion, optimizer, new ArrayList<>(trainable.values()), schedule, bf16);
        Validation validation = new Validation(cfg, cards, dim);
        MetricsWindow window = new MetricsWindow();
        model.train(true);
        double lastLoss = Double.NaN;
        Double lastValid = null;
        try (MetricsLog metrics = rank == 0 ? new MetricsLog(run.outputDir, tbDir()) : null;
             ProgressBar bar = progressBar(cfg.max_steps(), step)) {
            while (step < cfg.max_steps() && step < stopAfterStep) {
                TrainStep.Stats stats = trainStep.run(step, data);
                if (stats == null) continue; // skipped: not finite
                step++;
                lastLoss = stats.lossPerTarget();
                window.add(stats);
                bar.stepTo(step);
                bar.setExtraMessage(String.format(Locale.ROOT, " loss=%.4g lr=%.3g sent/s=%.0f", stats.lossPerTarget(), stats.lr(),
                        window.sentencesPerSecond()));
                if (metrics != null && (step % cfg.publish_metrics_every_n_steps() == 0 || step == cfg.max_steps())) {
                    metrics.publish("Train", step, window.publishAndReset(stats, schedule.lr(step)));
                }
                if (cfg.validate_every_n_steps() > 0 && step % cfg.validate_every_n_steps() == 0 && !cfg.validation_data().isEmpty()) {
                    lastValid = validation.run(model, trainStep, metrics, step);
                }
                if ((step % cfg.checkpoint_every_n_steps() == 0 || step == cfg.max_steps() || step == stopAfterStep) && rank == 0) {
                    checkpointer.save(step, data.passes(), model, optimizer, data.loaderState());
                }
            }
        }
        if (rank == 0) {
            Path lastDir = checkpointer.latest();
            run.writeModelCard(run.outputDir.resolve("model_card.yaml"), lastDir.resolve("model.pt"), Checkpointer.stepOf(lastDir));
        }
        return new Result(step, lastLoss, lastValid, run.outputDir);
    }

    /** bf16 autocast for torch.bfloat16, and for torch.float16, which has no fast CPU path (with a warning). */
    private static boolean computesInBf16(String dtype) {
        ScalarType compute = Tensors.dtype(dtype);
        if (compute == ScalarType.Half) {
            LOG.warn("dtype torch.float16 (the reference's GPU recipes) has no fast CPU path; lcm4j computes in bfloat16 autocast instead."
                    + " Pass ++trainer.dtype=torch.float32 for full precision.");
            return true;
        }
        return compute == ScalarType.BFloat16;
    }

    private Path tbDir() {
        return run.cfg.tb_dir() == null ? run.outputDir.resolve("tb") : Paths.get(run.cfg.tb_dir());
    }

    private static ProgressBar progressBar(long max, long start) {
        return new ProgressBarBuilder().setTaskName("train").setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500).continuousUpdate().startsFrom(start, Duration.ZERO)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
    }
}
