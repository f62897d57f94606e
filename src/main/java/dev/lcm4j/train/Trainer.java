package dev.lcm4j.train;

import dev.lcm4j.concepts.AffixEmbedding;
import dev.lcm4j.models.EmbeddingsBatch;
import static org.bytedeco.pytorch.global.torch.*;

import dev.lcm4j.LcmException;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmDataLoader;
import dev.lcm4j.data.LoaderOptions;
import dev.lcm4j.io.AtomicFiles;
import dev.lcm4j.io.OrderedDict;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.io.TorchFile;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.models.Criterion;
import dev.lcm4j.models.EmbeddingsBatch;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Autocast;
import dev.lcm4j.torch.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.Yaml;

/**
 * The LCM trainer (the reference's LCMTrainer on one process), for the MSE and the two-tower diffusion LCM alike:
 * the criterion named by the recipe computes the loss, everything else is shared: AdamW, LR schedule, gradient accumulation,
 * gradients divided by the number of target sentences (reduction "sum"), global-norm clipping, fp32 or bf16
 * autocast compute, validation, metrics, and atomic checkpoints that resume the identical run (model, optimizer,
 * data-loader position and RNG state).
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
        var cfg = run.cfg;
        boolean resume = run.prepareOutputDir(overwrite);
        if (rank == 0) run.dumpConfig();
        ScalarType compute = Tensors.dtype(cfg.dtype());
        if (compute == ScalarType.Half) {
            LOG.warn("dtype torch.float16 (the reference's GPU recipes) has no fast CPU path; lcm4j computes in bfloat16 autocast instead."
                    + " Pass ++trainer.dtype=torch.float32 for full precision.");
            compute = ScalarType.BFloat16;
        }
        boolean bf16 = compute == ScalarType.BFloat16;

        manual_seed(cfg.seed());
        List<Path> existing = resume ? TrainingRun.stepDirs(run.checkpointDir) : List.of();
        Path last = existing.isEmpty() ? null : existing.get(existing.size() - 1);
        Lcm model = run.buildModel(ParamFactory.cpu(), last == null);
        int dim = model.sonarEmbedDim();
        Criterion criterion = ModelFamilies.of(model).criterionOf(cfg.criterion(), model);
        List<Double> betas = cfg.adam_betas();
        Map<String, Tensor> trainable = Freezing.apply(model.namedParameters(), cfg.freezing_strategy(), cfg.freeze_modules());
        AdamW opt = new AdamW(trainable, betas.get(0), betas.get(1), cfg.adam_eps(), cfg.weight_decay());
        LrSchedule schedule = LrSchedule.create(cfg.lr_schedule(), cfg.lr(), cfg.start_lr(), cfg.final_lr(),
                cfg.num_lr_warmup_steps(), cfg.max_steps(), cfg.lr_stage_ratios());

        DatacardRegistry cards = DatacardRegistry.fromEnvironment();
        List<String> trainRefs = TrainingRun.references(cfg.training_data());
        LoaderOptions trainOpts = TrainingRun.loaderOptions(cfg.data_loading_config(), cfg.training_data(), dim, false,
                cfg.data_loading_config().seed());
        LcmDataLoader loader = AffixEmbedding.openLoader(cards, trainRefs, trainOpts);
        long step = 0, passes = 0;
        if (last != null) {
            step = TrainingRun.stepOf(last);
            TrainerState st = restore(last, model, opt);
            passes = st.passes;
            loader.restore(LcmDataLoader.State.fromMap(st.loader));
            setRngState(st.rng);
            LOG.info("resuming {} from step {}", run.outputDir, step);
        }
        if (step >= cfg.max_steps()) {
            LOG.info("nothing to do: step {} >= max_steps {}", step, cfg.max_steps());
            return new Result(step, Double.NaN, null, run.outputDir);
        }

        List<Tensor> params = new ArrayList<>(trainable.values());
        model.train(true);
        double lastLoss = Double.NaN;
        Double lastValid = null;
        int nanCount = 0;
        try (MetricsLog metrics = rank == 0 ? new MetricsLog(run.outputDir,
                run.cfg.tb_dir() == null ? run.outputDir.resolve("tb") : java.nio.file.Paths.get(run.cfg.tb_dir())) : null;
             ProgressBar bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(cfg.max_steps())
                     .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().startsFrom(step, java.time.Duration.ZERO)
                     .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build()) {
            double winLoss = 0;
            long winTargets = 0, winSentences = 0;
            Map<String, Double> winSummands = new LinkedHashMap<>();
            long winStart = System.nanoTime();
            while (step < cfg.max_steps() && step < stopAfterStep) {
                long stepTargets = 0, stepSentences = 0, stepDocs = 0;
                double stepLoss = 0;
                Map<String, Double> stepSummands = new LinkedHashMap<>();
                opt.zeroGrad();
                for (int micro = 0; micro < cfg.gradient_accumulation(); micro++) {
                    if (!loader.hasNext()) {
                        passes++;
                        loader = AffixEmbedding.openLoader(cards, trainRefs, trainOpts);
                        if (!loader.hasNext()) throw new LcmException("training data " + trainRefs + " yields no batch; check filters, max_tokens and min lengths");
                        if (micro > 0) {
                            // as the reference: micro-batches gathered before the data ran out are dropped, the step restarts
                            opt.zeroGrad();
                            stepTargets = 0; stepSentences = 0; stepDocs = 0; stepLoss = 0;
                            stepSummands.clear();
                            micro = 0;
                        }
                    }
                    List<Document> docs = loader.next();
                    try (PointerScope scope = new PointerScope()) {
                        EmbeddingsBatch batch = toBatch(docs, criterion.supervised());
                        if (bf16) { Autocast.enter(); }
                        Criterion.Loss out;
                        try {
                            out = criterion.loss(model, batch);
                        } finally {
                            if (bf16) { Autocast.exit(); }
                        }
                        out.loss().backward();
                        stepLoss += out.loss().item_double();
                        stepTargets += out.numTargets();
                        out.summands().forEach((k, v) -> stepSummands.merge(k, v, Double::sum));
                        for (Document d : docs) stepSentences += d.length();
                        stepDocs += docs.size();
                    }
                }
                if (!Double.isFinite(stepLoss)) {
                    if (++nanCount > cfg.max_nans_or_infs()) throw new LcmException("loss is NaN/Inf " + nanCount + " times; lower the lr or check the data");
                    LOG.warn("loss is NaN/Inf at step {}; skipping the batch ({} of {} allowed)", step + 1, nanCount, cfg.max_nans_or_infs());
                    opt.zeroGrad();
                    continue;
                }
                double rawNorm = Gradients.norm(params);
                if (!Double.isFinite(rawNorm)) {
                    // a finite loss with overflowing gradients must not reach AdamW (inf/inf = NaN weights)
                    if (++nanCount > cfg.max_nans_or_infs()) throw new LcmException("gradients are NaN/Inf " + nanCount + " times; lower the lr or check the data");
                    LOG.warn("gradients are NaN/Inf at step {}; skipping the batch ({} of {} allowed)", step + 1, nanCount, cfg.max_nans_or_infs());
                    opt.zeroGrad();
                    continue;
                }
                // reduction "sum": gradients of the summed loss are divided by the number of target sentences
                double normFactor = !cfg.turn_off_grad_normalization() && cfg.criterion().reduction().name().equals("SUM")
                        ? 1.0 / Math.max(1, stepTargets) : 1.0;
                if (normFactor != 1.0) Gradients.scale(params, normFactor);
                double gradNorm = Gradients.clip(params, cfg.max_grad_norm(), rawNorm * normFactor);
                double lr = schedule.lr(step);
                opt.step(lr);
                step++;
                double lossPerTarget = cfg.criterion().reduction().name().equals("SUM") ? stepLoss / Math.max(1, stepTargets) : stepLoss / cfg.gradient_accumulation();
                lastLoss = lossPerTarget;
                winLoss += lossPerTarget * stepTargets;
                winTargets += stepTargets;
                stepSummands.forEach((k, v) -> winSummands.merge(k, v, Double::sum));
                winSentences += stepSentences;
                double secs = (System.nanoTime() - winStart) / 1e9;
                bar.stepTo(step);
                bar.setExtraMessage(String.format(java.util.Locale.ROOT, " loss=%.4g lr=%.3g sent/s=%.0f", lossPerTarget, lr, winSentences / Math.max(secs, 1e-9)));
                if (metrics != null && (step % cfg.publish_metrics_every_n_steps() == 0 || step == cfg.max_steps())) {
                    Map<String, Double> m = new LinkedHashMap<>();
                    m.put("loss", winLoss / Math.max(1, winTargets));
                    m.put("lr", schedule.lr(step)); // the reference logs get_effective_lr after scheduler.step()
                    m.put("grad_norm", gradNorm);
                    m.put("raw_grad_norm", rawNorm);
                    for (Map.Entry<String, Double> e : winSummands.entrySet()) m.put(e.getKey(), e.getValue() / Math.max(1, winTargets));
                    m.put("batch_size", (double) stepDocs);
                    m.put("num_target_elements", (double) stepTargets);
                    m.put("elements_per_second", winSentences / Math.max(secs, 1e-9));
                    m.put("wall_time", secs);
                    metrics.publish("Train", step, m);
                    winLoss = 0; winTargets = 0; winSentences = 0; winStart = System.nanoTime();
                    winSummands.clear();
                }
                if (cfg.validate_every_n_steps() > 0 && step % cfg.validate_every_n_steps() == 0 && !cfg.validation_data().isEmpty()) {
                    lastValid = validate(model, criterion, cards, dim, bf16, metrics, step);
                }
                if ((step % cfg.checkpoint_every_n_steps() == 0 || step == cfg.max_steps() || step == stopAfterStep) && rank == 0) {
                    saveCheckpoint(step, passes, model, opt, loader.state().toMap());
                }
            }
        }
        if (rank == 0) {
            List<Path> steps = TrainingRun.stepDirs(run.checkpointDir);
            Path lastDir = steps.get(steps.size() - 1);
            run.writeModelCard(run.outputDir.resolve("model_card.yaml"), lastDir.resolve("model.pt"), TrainingRun.stepOf(lastDir));
        }
        return new Result(step, lastLoss, lastValid, run.outputDir);
    }

    private static EmbeddingsBatch toBatch(List<Document> docs, boolean supervised) {
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

    private Double validate(Lcm model, Criterion criterion, DatacardRegistry cards, int dim, boolean bf16, MetricsLog metrics, long step) {
        var cfg = run.cfg;
        model.train(false);
        double total = 0;
        long targets = 0;
        // Validation runs under its own RNG use, so keep the training RNG stream untouched.
        Tensor rng = getDefaultCPUGenerator().get_state();
        rng.retainReference();
        try {
            for (var ds : cfg.validation_data()) {
                LoaderOptions o = TrainingRun.loaderOptions(cfg.validation_data_loading_config(), List.of(ds), dim, true, cfg.data_loading_config().seed());
                LcmDataLoader vl = AffixEmbedding.openLoader(cards, TrainingRun.references(List.of(ds)), o);
                double dsLoss = 0;
                long dsTargets = 0;
                while (vl.hasNext()) {
                    List<Document> docs = vl.next();
                    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                        if (bf16) { Autocast.enter(); }
                        try {
                            Criterion.Loss out = criterion.loss(model, toBatch(docs, criterion.supervised()));
                            dsLoss += out.loss().item_double();
                            dsTargets += out.numTargets();
                        } finally {
                            if (bf16) { Autocast.exit(); }
                        }
                    }
                }
                double v = dsLoss / Math.max(1, dsTargets);
                if (metrics != null) metrics.publish("Valid | " + ds.name(), step, Map.of("loss", v, "num_target_elements", (double) dsTargets));
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

    // ---- checkpoints ----------------------------------------------------------------------------------------

    record TrainerState(long step, long passes, Map<String, Object> loader, String rng) {}

    private void saveCheckpoint(long step, long passes, Lcm model, AdamW opt, Map<String, Object> loaderState) {
        Path finalDir = run.checkpointDir.resolve("step_" + step);
        Path tmp = run.checkpointDir.resolve("step_" + step + ".tmp-" + ProcessHandle.current().pid());
        try {
            TrainingRun.deleteTree(tmp);
            Files.createDirectories(tmp);
            Checkpoints.saveModel(tmp.resolve("model.pt"), model);
            OrderedDict<String, Object> state = new OrderedDict<>();
            for (String name : opt.names()) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("step", (double) opt.stepCount());
                s.put("exp_avg", Checkpoints.toStored(opt.state("exp_avg").get(name)));
                s.put("exp_avg_sq", Checkpoints.toStored(opt.state("exp_avg_sq").get(name)));
                state.put(name, s);
            }
            Map<String, Object> optimizer = new LinkedHashMap<>();
            optimizer.put("state", state);
            optimizer.put("step", opt.stepCount());
            TorchFile.write(tmp.resolve("optimizer.pt"), optimizer);
            Map<String, Object> ts = new LinkedHashMap<>();
            ts.put("step", step);
            ts.put("data_passes", passes);
            ts.put("training_data_loader", loaderState);
            ts.put("rng_state", rngState());
            AtomicFiles.writeString(tmp.resolve("trainer_state.yaml"), new Yaml().dump(ts));
            run.writeModelCard(tmp.resolve("model_card.yaml"), finalDir.resolve("model.pt"), step);
            TrainingRun.deleteTree(finalDir);
            AtomicFiles.move(tmp, finalDir);
        } catch (IOException e) {
            throw new LcmException("cannot write checkpoint " + finalDir + ": " + e.getMessage());
        }
        int keep = run.cfg.keep_last_n_checkpoints();
        if (keep > 0) {
            List<Path> all = TrainingRun.stepDirs(run.checkpointDir);
            for (int i = 0; i < all.size() - keep; i++) {
                try {
                    TrainingRun.deleteTree(all.get(i));
                } catch (IOException e) {
                    LOG.warn("cannot delete old checkpoint {}: {}", all.get(i), e.getMessage());
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private TrainerState restore(Path dir, Lcm model, AdamW opt) {
        Checkpoints.load(dir.resolve("model.pt"), model);
        Map<String, Object> o = TorchFile.readMap(dir.resolve("optimizer.pt"));
        Map<String, Object> state = (Map<String, Object>) o.get("state");
        Map<String, float[]> avg = new LinkedHashMap<>(), avgSq = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : state.entrySet()) {
            Map<String, Object> s = (Map<String, Object>) e.getValue();
            avg.put(e.getKey(), ((StoredTensor) s.get("exp_avg")).toFloatArray());
            avgSq.put(e.getKey(), ((StoredTensor) s.get("exp_avg_sq")).toFloatArray());
        }
        opt.restore(((Number) o.get("step")).longValue(), avg, avgSq);
        try {
            Map<String, Object> ts = new Yaml().load(Files.readString(dir.resolve("trainer_state.yaml")));
            return new TrainerState(((Number) ts.get("step")).longValue(), ((Number) ts.get("data_passes")).longValue(),
                    (Map<String, Object>) ts.get("training_data_loader"), (String) ts.get("rng_state"));
        } catch (IOException e) {
            throw new LcmException("cannot read " + dir.resolve("trainer_state.yaml") + ": " + e.getMessage());
        }
    }

    static String rngState() {
        try (PointerScope s = new PointerScope()) {
            Tensor st = getDefaultCPUGenerator().get_state();
            long n = st.numel();
            byte[] b = new byte[(int) n];
            st.contiguous().data_ptr_byte().get(b, 0, b.length);
            return Base64.getEncoder().encodeToString(b);
        }
    }

    static void setRngState(String b64) {
        byte[] b = Base64.getDecoder().decode(b64);
        try (PointerScope s = new PointerScope()) {
            Tensor t = empty(new long[] {b.length}, Tensors.opts(ScalarType.Byte, null), null);
            t.data_ptr_byte().put(b, 0, b.length);
            getDefaultCPUGenerator().set_state(t);
        }
    }
}
